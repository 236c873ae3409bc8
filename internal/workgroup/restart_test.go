package workgroup

import (
	"bytes"
	"context"
	"github.com/peerhood/peerhood/internal/testutil"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// The roster, the root key (on the creator only) and revocations survive
// a restart; a delegated admin issues and revokes with its node key.
func TestRestartAndDelegatedAdmin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alpha, bravo, charlie, delta := newTNode(t, "alpha"), newTNode(t, "bravo"), newTNode(t, "charlie"), newTNode(t, "delta")
	wg := mustCreate(t, alpha, "office")
	mustJoin(t, bravo, mustInvite(t, alpha, InviteOptions{Admin: true}), "")

	alpha.stop()
	alpha.start()
	if !alpha.svc.roster.IsAdmin(wg.ID, alpha.host.ID()) {
		t.Fatal("alpha lost its admin role over a restart")
	}
	if root, _ := alpha.svc.roster.Root(wg.ID); root.Key == nil {
		t.Fatal("the creator lost the root key over a restart")
	}
	if root, _ := bravo.svc.roster.Root(wg.ID); root.Key != nil {
		t.Fatal("a joiner holds the root key")
	}
	var nKeys int
	if err := bravo.db.QueryRow(`SELECT COUNT(*) FROM workgroups WHERE root_key IS NOT NULL`).Scan(&nKeys); err != nil || nKeys != 0 {
		t.Fatalf("bravo stores %d root keys (%v)", nKeys, err)
	}
	if fi, err := os.Stat(filepath.Join(alpha.dir, "state.db")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state.db mode: %v %v", fi.Mode(), err)
	}

	// bravo (admin by delegation) admits charlie and delta, alpha offline.
	alpha.stop()
	tok := mustInvite(t, bravo, InviteOptions{Uses: 2})
	mustJoin(t, charlie, tok, "")
	mustJoin(t, delta, tok, "")
	c, _ := charlie.svc.roster.Self(wg.ID)
	if c.HasRole(RoleAdmin) {
		t.Fatal("charlie got admin")
	}
	if _, err := charlie.svc.Remove(ctx, "", "delta"); CodeOf(err) != CodeForbidden {
		t.Fatalf("non-admin remove: %v", err)
	}
	if _, err := bravo.svc.Remove(ctx, "", "bravo"); CodeOf(err) != CodeBadRequest {
		t.Fatalf("removing oneself: %v", err)
	}
	if _, err := bravo.svc.Remove(ctx, "", "nobody"); CodeOf(err) != CodeNotFound {
		t.Fatalf("removing an unknown name: %v", err)
	}
	if _, err := bravo.svc.Remove(ctx, "office", "DELTA"); err != nil {
		t.Fatal(err)
	}
	// Three members alone would also hold before charlie has heard of
	// delta at all: wait for the revocation itself.
	testutil.Eventually(t, 5*time.Second, func() error {
		if !charlie.svc.roster.IsRevoked(wg.ID, delta.host.ID()) {
			return errf("charlie has not learnt delta's removal")
		}
		return wantMembers(charlie, wg.ID, 3)
	})

	// After restarts, the revocation is still in force everywhere.
	// A reload restores exactly what the roster held when Close returned.
	before := charlie.svc.roster
	charlie.stop()
	held := before.Digest(wg.ID)
	charlie.start()
	if got := charlie.svc.roster.Digest(wg.ID); !slices.EqualFunc(held, got, bytes.Equal) {
		t.Fatalf("reload restored %d roster items, %d were held", len(got), len(held))
	}
	if !charlie.svc.roster.IsRevoked(wg.ID, delta.host.ID()) || charlie.svc.roster.MemberAnywhere(delta.host.ID()) {
		t.Fatal("revocation lost over a restart")
	}
	alpha.start()
	if err := alpha.dial(charlie); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, func() error {
		if !alpha.svc.roster.IsRevoked(wg.ID, delta.host.ID()) {
			return errf("alpha has not learnt delta's removal")
		}
		return wantMembers(alpha, wg.ID, 3)
	})
}

func TestRosterWatch(t *testing.T) {
	t.Parallel()
	a := newTNode(t, "alpha")
	ch, stop := a.svc.roster.Watch()
	var _ Watcher = a.svc.roster
	mustCreate(t, a, "office")
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no change notice after create")
	}
	stop()
	if _, open := <-ch; open {
		t.Fatal("channel open after stop")
	}
	stop() // twice is harmless
}
