package workgroup

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/testutil"
)

// A member that joined while this node was away is admitted at once when
// it connects: it presents its certificate over hello, no roster sync
// with a third member needed (none is online here).
func TestHelloAdmitsUnknownMember(t *testing.T) {
	t.Parallel()
	bravo, charlie, wg := joinedWhileAway(t)
	start := time.Now()
	if err := charlie.dial(bravo); err != nil {
		t.Fatalf("charlie dials bravo: %v", err)
	}
	testutil.Eventually(t, 5*time.Second, func() error { return wantMembers(bravo, wg.ID, 3) })
	t.Logf("bravo admitted charlie %s after its dial", time.Since(start))
	time.Sleep(300 * time.Millisecond)
	if !bravo.connected(charlie) {
		t.Fatal("bravo cut charlie off after learning its certificate")
	}
	// charlie's own roster view converges too (sync on the connection).
	testutil.Eventually(t, 5*time.Second, func() error { return wantMembers(charlie, wg.ID, 3) })
	// Stored: a restart keeps charlie.
	bravo.stop()
	bravo.start()
	if err := wantMembers(bravo, wg.ID, 3); err != nil {
		t.Fatal(err)
	}
}

// A stranger (a node of another workgroup) and a revoked member that dial
// a member are cut off as soon as their hello fails, and are not taken on
// probation again at once; nothing of theirs is stored.
func TestHelloRefusesStrangersAndRevoked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alpha, bravo, victim, stranger := newTNode(t, "alpha"), newTNode(t, "bravo"), newTNode(t, "victim"), newTNode(t, "stranger")
	wg := mustCreate(t, alpha, "office")
	mustCreate(t, stranger, "elsewhere")
	mustJoin(t, bravo, mustInvite(t, alpha, InviteOptions{}), "")
	mustJoin(t, victim, mustInvite(t, alpha, InviteOptions{}), "")
	// bravo is away while victim is removed; then victim's certificate
	// would still verify at bravo, but its revocation must win.
	bravo.stop()
	if _, err := alpha.svc.Remove(ctx, "", "victim"); err != nil {
		t.Fatal(err)
	}
	bravo.start()
	if err := bravo.dial(alpha); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, func() error {
		if !bravo.svc.roster.IsRevoked(wg.ID, victim.host.ID()) {
			return fmt.Errorf("bravo has not learnt the revocation")
		}
		return nil
	})
	for _, n := range []*tnode{stranger, victim} {
		_ = n.dial(bravo)
		testutil.Eventually(t, 3*time.Second, func() error {
			if bravo.connected(n) {
				return fmt.Errorf("%s still connected to bravo", n.name)
			}
			return nil
		})
		if err := n.dial(bravo); err == nil {
			time.Sleep(300 * time.Millisecond)
			if bravo.connected(n) {
				t.Fatalf("%s was taken on probation again at once", n.name)
			}
		}
	}
	if err := wantMembers(bravo, wg.ID, 2); err != nil {
		t.Fatal(err)
	}
	if bravo.svc.roster.Known(stranger.svc.roster.Workgroups()[0].ID) {
		t.Fatal("bravo stored the stranger's workgroup")
	}
}

// Probation bounds: per address, per subnet and in all; the oldest is
// evicted to make room; a place lasts its window; a failed hello keeps
// the peer out for the cooldown.
func TestProbationLimits(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_750_000_000, 0)
	addr := func(s string) ma.Multiaddr { return ma.StringCast("/ip4/" + s + "/tcp/4317") }
	tests := []struct {
		name    string
		n       int
		addr    func(i int) ma.Multiaddr
		held    int
		evicted int
	}{
		{"one address", 10, func(int) ma.Multiaddr { return addr("203.0.113.7") }, maxProbationPerIP, 10 - maxProbationPerIP},
		{"one subnet", 20, func(i int) ma.Multiaddr { return addr(fmt.Sprintf("203.0.113.%d", i+1)) }, maxProbationPerSubnet, 20 - maxProbationPerSubnet},
		{"many subnets", maxProbation + 5, func(i int) ma.Multiaddr { return addr(fmt.Sprintf("10.%d.%d.1", i/200, i%200)) }, maxProbation, 5},
		{"unknown addresses", maxProbation + 5, func(int) ma.Multiaddr { return ma.StringCast("/dns4/example.org/tcp/1") }, maxProbation, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newProbationList()
			var evicted []peer.ID
			ids := make([]peer.ID, tc.n)
			for i := range ids {
				ids[i] = peer.ID(fmt.Sprintf("peer-%d", i))
				ok, ev := l.admit(ids[i], tc.addr(i), now.Add(time.Duration(i)*time.Millisecond))
				if !ok {
					t.Fatalf("newcomer %d refused", i)
				}
				evicted = append(evicted, ev...)
			}
			at := now.Add(time.Second)
			held := 0
			for _, p := range ids {
				if l.onProbation(p, at) {
					held++
				}
			}
			if held != tc.held || len(evicted) != tc.evicted {
				t.Fatalf("%d held, %d evicted; want %d and %d", held, len(evicted), tc.held, tc.evicted)
			}
			for i, p := range evicted {
				if p != ids[i] {
					t.Fatalf("evicted %v, want the oldest first", evicted)
				}
			}
			if !l.onProbation(ids[tc.n-1], now.Add(probation-time.Millisecond)) || l.onProbation(ids[tc.n-1], now.Add(probation+time.Second)) {
				t.Fatal("a place does not last exactly its window")
			}
		})
	}
	// A failed hello keeps the peer out for the cooldown.
	p := peer.ID("failing")
	l := newProbationList()
	if ok, _ := l.admit(p, addr("198.51.100.1"), now); !ok || !l.ask(p, now) || l.ask(p, now) {
		t.Fatal("admit/ask")
	}
	l.end(p, false)
	for _, at := range []time.Time{now.Add(time.Second), now.Add(probation + time.Second)} {
		if ok, _ := l.admit(p, addr("198.51.100.1"), at); ok {
			t.Fatal("a peer whose hello failed was admitted again within the cooldown")
		}
	}
	if ok, _ := l.admit(p, addr("198.51.100.1"), now.Add(probation+probationCooldown+time.Second)); !ok {
		t.Fatal("a peer is kept out after the cooldown")
	}
}
