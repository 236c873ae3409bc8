package workgroup

import (
	"context"
	"fmt"
	"github.com/peerhood/peerhood/internal/testutil"
	"testing"
	"time"
)

// 24 nodes: alpha creates the workgroup and makes bravo an admin; each
// admin admits half of the rest (so half the certificates are signed by
// the root and half by bravo's node key). Every node ends up with the
// whole roster. Then alpha removes one member while another is offline:
// every online member cuts the removed one off within seconds, and the
// offline one learns it from the first member it talks to, with no admin
// online.
func TestManyNodesJoinConvergeRevoke(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("multi-node test")
	}
	const total = 24
	ctx := context.Background()
	nodes := make([]*tnode, total)
	for i := range nodes {
		nodes[i] = newTNode(t, fmt.Sprintf("n%02d", i))
	}
	alpha, bravo := nodes[0], nodes[1]
	wg := mustCreate(t, alpha, "office")
	mustJoin(t, bravo, mustInvite(t, alpha, InviteOptions{Admin: true}), "")
	fromAlpha := mustInvite(t, alpha, InviteOptions{Uses: total})
	fromBravo := mustInvite(t, bravo, InviteOptions{Uses: total})
	start := time.Now()
	for i := 2; i < total; i++ {
		tok := fromAlpha
		if i%2 == 1 {
			tok = fromBravo
		}
		m := mustJoin(t, nodes[i], tok, "")
		if m.Name != nodes[i].name {
			t.Fatalf("joined as %q", m.Name)
		}
	}
	t.Logf("%d joins in %s", total-2, time.Since(start))
	// A ring of extra links, so that members also talk to members they
	// were not admitted by.
	for i := 2; i < total; i++ {
		_ = nodes[i].dial(nodes[(i+1)%total])
	}
	start = time.Now()
	testutil.Eventually(t, 20*time.Second, func() error {
		for _, n := range nodes {
			if err := wantMembers(n, wg.ID, total); err != nil {
				return err
			}
		}
		return nil
	})
	t.Logf("roster converged on %d nodes in %s", total, time.Since(start))
	for _, n := range nodes {
		if got := n.svc.List(); len(got) != 1 || got[0].Members != total || got[0].Admin != (n == alpha || n == bravo) {
			t.Fatalf("%s: workgroup ls %+v", n.name, got)
		}
	}

	// Revocation while n07 is offline.
	victim, offline, witness := nodes[5], nodes[7], nodes[3]
	offline.stop()
	if _, err := alpha.svc.Remove(ctx, "", victim.name); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	testutil.Eventually(t, 10*time.Second, func() error {
		for _, n := range nodes {
			if n == victim || n == offline {
				continue
			}
			if _, ok := n.svc.roster.ByName(wg.ID, victim.name); ok {
				return fmt.Errorf("%s still lists %s", n.name, victim.name)
			}
			if n.connected(victim) || victim.connected(n) {
				return fmt.Errorf("%s still connected to %s", n.name, victim.name)
			}
		}
		return nil
	})
	t.Logf("revocation applied by every online member in %s", time.Since(start))
	testutil.Eventually(t, 5*time.Second, func() error {
		if len(victim.svc.roster.Workgroups()) != 0 {
			return fmt.Errorf("the removed member does not know it was removed")
		}
		return nil
	})
	if err := victim.dial(witness); err == nil {
		time.Sleep(200 * time.Millisecond)
		if witness.connected(victim) {
			t.Fatal("the removed member reconnected")
		}
	}

	// The offline member comes back; both admins are gone; it talks to
	// one ordinary member and learns of the revocation.
	alpha.stop()
	bravo.stop()
	offline.start()
	if _, ok := offline.svc.roster.ByName(wg.ID, victim.name); !ok {
		t.Fatal("the offline member should not know of the revocation yet")
	}
	if err := offline.dial(witness); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		if !offline.svc.roster.IsRevoked(wg.ID, victim.host.ID()) {
			return fmt.Errorf("%s has not learnt the revocation", offline.name)
		}
		return nil
	})
	_ = victim.dial(offline)
	time.Sleep(200 * time.Millisecond)
	if offline.connected(victim) {
		t.Fatal("the removed member can reach the member that was offline")
	}
	if err := wantMembers(offline, wg.ID, total-1); err != nil {
		t.Fatal(err)
	}
}

// A member that was offline while others joined learns them by anti-
// entropy from any member it talks to (no gossip reaches it).
func TestSyncOnConnect(t *testing.T) {
	t.Parallel()
	bravo, charlie, wg := joinedWhileAway(t)
	// bravo dials charlie, whom it does not know yet: the sync on this
	// outbound connection teaches it.
	if err := bravo.dial(charlie); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, func() error { return wantMembers(bravo, wg.ID, 3) })
	if m, ok := bravo.svc.roster.ByName(wg.ID, "CHARLIE"); !ok || m.PeerID != charlie.host.ID() {
		t.Fatalf("ByName charlie: %+v", m)
	}
}
