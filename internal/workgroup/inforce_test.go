package workgroup

import (
	"context"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

// inGroup checks whether n sees the member named name in group g.
func inGroup(n *tnode, wg, name, g string, want bool) func() error {
	return func() error {
		m, ok := n.svc.roster.ByName(wg, name)
		if !ok {
			return errf("%s does not know %s", n.name, name)
		}
		if m.InGroup(g) != want {
			return errf("%s sees %s in groups %v; want in %s: %v", n.name, name, m.Groups, g, want)
		}
		return nil
	}
}

// Issue 16 item 8: alice adds bob to ops, dave (an admin alice made)
// takes him out, alice removes dave. bob must not be in ops again, on
// alice nor on carol, who was away throughout and learns all of it at
// once.
func TestRevokedAdminDoesNotRestoreRights(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alice, dave, bob, carol := newTNode(t, "alice"), newTNode(t, "dave"), newTNode(t, "bob"), newTNode(t, "carol")
	wg := mustCreate(t, alice, "office")
	mustJoin(t, dave, mustInvite(t, alice, InviteOptions{Admin: true}), "")
	mustJoin(t, bob, mustInvite(t, alice, InviteOptions{}), "")
	mustJoin(t, carol, mustInvite(t, alice, InviteOptions{}), "")
	testutil.Eventually(t, 10*time.Second, func() error { return wantMembers(dave, wg.ID, 4) })
	carol.stop()

	if _, err := alice.svc.SetGroups(ctx, "", "bob", GroupChange{Add: []string{"ops"}}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, inGroup(dave, wg.ID, "bob", "ops", true))
	if _, err := dave.svc.SetGroups(ctx, "", "bob", GroupChange{Remove: []string{"ops"}}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, inGroup(alice, wg.ID, "bob", "ops", false))
	if _, err := alice.svc.Remove(ctx, "", "dave"); err != nil {
		t.Fatal(err)
	}
	if err := inGroup(alice, wg.ID, "bob", "ops", false)(); err != nil {
		t.Fatalf("removing dave undid his change: %v", err)
	}
	if err := wantMembers(alice, wg.ID, 3); err != nil {
		t.Fatal(err)
	}

	revocationFirst(t, alice, dave, carol, wg)

	carol.start()
	if err := carol.dial(alice); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		if !carol.svc.roster.IsRevoked(wg.ID, dave.host.ID()) {
			return errf("carol has not learnt dave's removal")
		}
		return nil
	})
	if err := inGroup(carol, wg.ID, "bob", "ops", false)(); err != nil {
		t.Fatalf("carol, back: %v", err)
	}
	// A restart (roster rebuilt from storage) keeps it so.
	alice.stop()
	alice.start()
	if err := inGroup(alice, wg.ID, "bob", "ops", false)(); err != nil {
		t.Fatalf("alice, restarted: %v", err)
	}
	// An admin can still put bob back in ops.
	if _, err := alice.svc.SetGroups(ctx, "", "bob", GroupChange{Add: []string{"ops"}}); err != nil {
		t.Fatal(err)
	}
	if err := inGroup(alice, wg.ID, "bob", "ops", true)(); err != nil {
		t.Fatal(err)
	}
}

// revocationFirst merges alice's roster into a fresh roster with dave's
// revocation before the certificate dave issued: a roster that learns
// dave's removal before his change of bob's groups still takes the
// change, so every node ends with the same items whatever their order.
func revocationFirst(t *testing.T, alice, dave, carol *tnode, wg Info) {
	t.Helper()
	root, _ := alice.svc.roster.Root(wg.ID)
	all := alice.svc.roster.All(wg.ID)
	var fromDave, rest Bundle
	for _, raw := range all.Certs {
		c, err := ParseCert(raw, root.Pub)
		if err != nil {
			t.Fatal(err)
		}
		if c.IssuerID == dave.host.ID() {
			fromDave.Certs = append(fromDave.Certs, raw)
		} else {
			rest.Certs = append(rest.Certs, raw)
		}
	}
	rest.Revs = all.Revs
	if len(fromDave.Certs) != 1 {
		t.Fatalf("%d certificates from dave, want 1", len(fromDave.Certs))
	}
	late := NewRoster(carol.host.ID())
	late.AddWorkgroup(Root{ID: root.ID, Name: root.Name, Pub: root.Pub})
	late.Merge(wg.ID, rest)
	if added, _ := late.Merge(wg.ID, fromDave); len(added.Certs) != 1 {
		t.Fatal("a certificate dave issued before his removal is refused after it")
	}
	if m, ok := late.ByName(wg.ID, "bob"); !ok || m.InGroup("ops") {
		t.Fatalf("revocation first: bob is %+v", m)
	}

}
