package workgroup

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/peerhood/peerhood/internal/testutil"
)

// MergeDurable shows items only once persist succeeded, undoes them
// exactly when it fails, and refuses a merge that leaves mustHold out.
func TestRosterMergeDurable(t *testing.T) {
	t.Parallel()
	root, _ := NewRoot("office")
	rs := RootSigner(root.Key)
	admin, bob, carol := newPeer(t), newPeer(t), newPeer(t)
	adminCert := mustIssue(t, rs, body(root, "admin", admin, RoleAdmin))
	bobCert := mustIssue(t, admin.signer(t), body(root, "bob", bob))
	carolCert := mustIssue(t, admin.signer(t), body(root, "carol", carol))
	revBob := mustRevoke(t, admin.signer(t), root.ID, bob.id)

	r := NewRoster(admin.id)
	r.AddWorkgroup(*root)
	if _, _, err := r.MergeDurable(root.ID, Bundle{Certs: [][]byte{adminCert, bobCert}}, "", func(Bundle) error { return nil }); err != nil {
		t.Fatal(err)
	}
	before := r.Digest(root.ID)

	// A failing persist leaves no trace, even for an admin issued in the
	// same bundle or a revocation of a member.
	boom := errors.New("disk full")
	var seen Bundle
	_, _, err := r.MergeDurable(root.ID, Bundle{Certs: [][]byte{carolCert}, Revs: [][]byte{revBob}}, "", func(b Bundle) error { seen = b; return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want %v", err, boom)
	}
	if len(seen.Certs) != 1 || len(seen.Revs) != 1 {
		t.Fatalf("persist saw %d certs %d revs", len(seen.Certs), len(seen.Revs))
	}
	if !slices.EqualFunc(before, r.Digest(root.ID), func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatal("roster changed by a merge whose persist failed")
	}
	if r.IsRevoked(root.ID, bob.id) || !r.MemberAnywhere(bob.id) || r.MemberAnywhere(carol.id) {
		t.Fatal("membership changed by a merge whose persist failed")
	}

	// The same items are accepted once persist succeeds.
	added, _, err := r.MergeDurable(root.ID, Bundle{Certs: [][]byte{carolCert}, Revs: [][]byte{revBob}}, "", func(Bundle) error { return nil })
	if err != nil || len(added.Certs) != 1 || len(added.Revs) != 1 {
		t.Fatalf("added %d/%d, err %v", len(added.Certs), len(added.Revs), err)
	}
	if !r.IsRevoked(root.ID, bob.id) || r.MemberAnywhere(bob.id) || !r.MemberAnywhere(carol.id) {
		t.Fatal("merge after a failed persist not applied")
	}

	// mustHold: a merge that does not make the peer a member is undone
	// and nothing is persisted.
	dave := newPeer(t)
	daveByBob := mustIssue(t, bob.signer(t), body(root, "dave", dave)) // bob is no admin
	called := false
	if _, _, err := r.MergeDurable(root.ID, Bundle{Certs: [][]byte{daveByBob}}, dave.id, func(Bundle) error { called = true; return nil }); err == nil || called {
		t.Fatalf("err %v, persist called %v", err, called)
	}
	if _, _, err := r.MergeDurable("nope", Bundle{}, "", func(Bundle) error { return nil }); err == nil {
		t.Fatal("merge into an unknown workgroup succeeded")
	}
}

// A merge whose items cannot be stored is not accepted: the roster and
// the database stay in step (here the database is closed under it).
func TestMergeNotStoredNotAccepted(t *testing.T) {
	t.Parallel()
	a, b := newTNode(t, "alpha"), newTNode(t, "bravo")
	wg := mustCreate(t, a, "office")
	mustJoin(t, b, mustInvite(t, a, InviteOptions{}), "")
	c := newPeer(t)
	root, _ := a.svc.roster.Root(wg.ID)
	raw := mustIssue(t, RootSigner(root.Key), body(&root, "charlie", c))
	before := b.svc.roster.Digest(wg.ID)
	b.db.Close()
	if n := b.svc.merge(context.Background(), wg.ID, Bundle{Certs: [][]byte{raw}}, "test"); n != 0 {
		t.Fatalf("merged %d items it could not store", n)
	}
	if got := b.svc.roster.Digest(wg.ID); len(got) != len(before) || b.svc.roster.MemberAnywhere(c.id) {
		t.Fatal("the roster shows an item that was not stored")
	}

	// Remove likewise: no revocation in force that was not stored.
	a.db.Close()
	if _, err := a.svc.Remove(context.Background(), "", "bravo"); err == nil {
		t.Fatal("remove succeeded without storing the revocation")
	}
	if a.svc.roster.IsRevoked(wg.ID, b.host.ID()) || !a.svc.roster.MemberAnywhere(b.host.ID()) {
		t.Fatal("a revocation that was not stored is in force")
	}
}

// A revoked peer keeps its connections only while it is being told of
// its revocation.
func TestGateGraceWhileNotifying(t *testing.T) {
	t.Parallel()
	a, b := newTNode(t, "alpha"), newTNode(t, "bravo")
	mustCreate(t, a, "office")
	mustJoin(t, b, mustInvite(t, a, InviteOptions{}), "")
	if _, err := a.svc.Remove(context.Background(), "", "bravo"); err != nil {
		t.Fatal(err)
	}
	g, p := gate{a.svc}, b.host.ID()
	// bravo was connected: it is told, then cut off.
	testutil.Eventually(t, 2*notifyTimeout, func() error {
		if g.AllowPeer(p, true) || g.AllowPeer(p, false) || a.connected(b) {
			return errf("revoked peer still allowed or connected")
		}
		return nil
	})
	testutil.Eventually(t, 10*time.Second, func() error {
		if len(b.svc.roster.Workgroups()) != 0 {
			return errf("bravo was not told of its removal")
		}
		return nil
	})
	a.svc.notifyBegin([]peer.ID{p})
	a.svc.notifyBegin([]peer.ID{p})
	a.svc.notifyEnd([]peer.ID{p})
	if !g.AllowPeer(p, true) {
		t.Fatal("revoked peer cut off while one notification is still under way")
	}
	a.svc.notifyEnd([]peer.ID{p})
	if g.AllowPeer(p, true) {
		t.Fatal("revoked peer allowed after its notifications ended")
	}
}
