package workgroup

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
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

// At most maxProbation unknown peers are on probation at once, and new
// ones come in at most at probationRate a second.
func TestProbationLimits(t *testing.T) {
	t.Parallel()
	l := newProbationList()
	now := time.Unix(1_750_000_000, 0)
	ids := make([]peer.ID, maxProbation+5)
	for i := range ids {
		ids[i] = peer.ID(fmt.Sprintf("peer-%d", i))
	}
	admitted := 0
	for _, p := range ids {
		if l.admit(p, now) {
			admitted++
		}
	}
	if admitted != maxProbation {
		t.Fatalf("%d admitted at once, want %d", admitted, maxProbation)
	}
	if !l.admit(ids[0], now.Add(time.Second)) {
		t.Fatal("a peer on probation lost its place within its window")
	}
	if l.admit(ids[0], now.Add(probation)) {
		t.Fatal("a peer stays on probation past its window")
	}
	// Window over: places free up, but only at the rate.
	later := now.Add(probation + time.Second)
	n := 0
	for i := range 100 {
		if l.admit(peer.ID(fmt.Sprintf("new-%d", i)), later) {
			n++
		}
	}
	if n == 0 || n > maxProbation {
		t.Fatalf("%d new peers admitted after the window", n)
	}
	// A failed hello keeps the peer out for the cooldown.
	p := peer.ID("failing")
	l2 := newProbationList()
	if !l2.admit(p, now) || !l2.ask(p, now) || l2.ask(p, now) {
		t.Fatal("admit/ask")
	}
	l2.end(p, false)
	if l2.admit(p, now.Add(time.Second)) || l2.admit(p, now.Add(probation+time.Second)) {
		t.Fatal("a peer whose hello failed was admitted again within the cooldown")
	}
	if !l2.admit(p, now.Add(probation+probationCooldown+time.Second)) {
		t.Fatal("a peer is kept out after the cooldown")
	}
}
