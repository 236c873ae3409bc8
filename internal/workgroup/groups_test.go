package workgroup

import (
	"context"
	"fmt"
	"github.com/peerhood/peerhood/internal/testutil"
	"slices"
	"testing"
	"time"
)

func groupsOf(n *tnode, wg, name string) ([]string, error) {
	m, ok := n.svc.roster.ByName(wg, name)
	if !ok {
		return nil, fmt.Errorf("%s does not know %s", n.name, name)
	}
	return m.Groups, nil
}

func wantGroups(n *tnode, wg, name string, want ...string) func() error {
	return func() error {
		got, err := groupsOf(n, wg, name)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("%s sees %s in groups %v, want %v", n.name, name, got, want)
		}
		return nil
	}
}

// An admin puts a member in groups and takes it out again; the reissued
// certificates reach the other members by gossip, the newest counts, and
// a restart keeps it.
func TestSetGroups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alpha, bravo, charlie := newTNode(t, "alpha"), newTNode(t, "bravo"), newTNode(t, "charlie")
	wg := mustCreate(t, alpha, "office")
	mustJoin(t, bravo, mustInvite(t, alpha, InviteOptions{}), "")
	mustJoin(t, charlie, mustInvite(t, alpha, InviteOptions{}), "")
	if err := bravo.dial(charlie); err != nil {
		t.Fatal(err)
	}
	m, err := alpha.svc.SetGroups(ctx, "", "BRAVO", GroupChange{Add: []string{"Sales", "dev", "sales"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Groups, []string{"dev", "sales"}) || m.Name != "bravo" {
		t.Fatalf("after add: %+v", m)
	}
	for _, n := range []*tnode{alpha, bravo, charlie} {
		testutil.Eventually(t, 10*time.Second, wantGroups(n, wg.ID, "bravo", "dev", "sales"))
	}
	if m, err = alpha.svc.SetGroups(ctx, "", "bravo", GroupChange{Remove: []string{"DEV"}}); err != nil || !slices.Equal(m.Groups, []string{"sales"}) {
		t.Fatalf("after rm: %+v %v", m, err)
	}
	for _, n := range []*tnode{alpha, bravo, charlie} {
		testutil.Eventually(t, 10*time.Second, wantGroups(n, wg.ID, "bravo", "sales"))
	}
	// Roles, name and validity survive a reissue.
	if m.AgeRecipient == "" || len(m.Roles) != 0 || m.NotAfter.Before(time.Now().Add(CertValidity-time.Hour)) {
		t.Fatalf("reissued certificate lost fields: %+v", m)
	}
	if err := wantMembers(charlie, wg.ID, 3); err != nil {
		t.Fatal(err)
	}
	// Restart: the newest certificate is still the one in force.
	charlie.stop()
	charlie.start()
	if err := wantGroups(charlie, wg.ID, "bravo", "sales")(); err != nil {
		t.Fatal(err)
	}
	if m, err = alpha.svc.SetGroups(ctx, "", "bravo", GroupChange{Replace: true}); err != nil || len(m.Groups) != 0 {
		t.Fatalf("after set to none: %+v %v", m, err)
	}
}

// Whatever order a node receives a member's certificates in, the newest
// is the one in force.
func TestNewestCertificateWins(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alpha, bravo, late := newTNode(t, "alpha"), newTNode(t, "bravo"), newTNode(t, "late")
	wg := mustCreate(t, alpha, "office")
	mustJoin(t, bravo, mustInvite(t, alpha, InviteOptions{}), "")
	old, _ := alpha.svc.roster.current(wg.ID, bravo.host.ID())
	if _, err := alpha.svc.SetGroups(ctx, "", "bravo", GroupChange{Add: []string{"ops"}}); err != nil {
		t.Fatal(err)
	}
	mustJoin(t, late, mustInvite(t, alpha, InviteOptions{}), "")
	if err := wantGroups(late, wg.ID, "bravo", "ops")(); err != nil {
		t.Fatal(err)
	}
	// The old certificate arrives again (a replay, or a member that
	// never saw the new one): nothing changes.
	late.svc.merge(ctx, wg.ID, Bundle{Certs: [][]byte{old.Raw}}, "test")
	if err := wantGroups(late, wg.ID, "bravo", "ops")(); err != nil {
		t.Fatal(err)
	}
}

func TestSetGroupsErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alpha, bravo, charlie := newTNode(t, "alpha"), newTNode(t, "bravo"), newTNode(t, "charlie")
	wg := mustCreate(t, alpha, "office")
	mustJoin(t, bravo, mustInvite(t, alpha, InviteOptions{Admin: true}), "")
	mustJoin(t, charlie, mustInvite(t, alpha, InviteOptions{}), "")
	testutil.Eventually(t, 10*time.Second, func() error { return wantMembers(charlie, wg.ID, 3) })
	for _, tc := range []struct {
		name   string
		n      *tnode
		member string
		change GroupChange
		code   string
	}{
		{"not an admin", charlie, "bravo", GroupChange{Add: []string{"x"}}, CodeForbidden},
		{"unknown member", alpha, "nobody", GroupChange{Add: []string{"x"}}, CodeNotFound},
		{"bad group name", alpha, "charlie", GroupChange{Add: []string{"has space"}}, CodeBadRequest},
		{"empty group name", alpha, "charlie", GroupChange{Remove: []string{""}}, CodeBadRequest},
		{"a non-root admin on itself", bravo, "bravo", GroupChange{Add: []string{"x"}}, CodeForbidden},
	} {
		_, err := tc.n.svc.SetGroups(ctx, "", tc.member, tc.change)
		if CodeOf(err) != tc.code {
			t.Errorf("%s: got %v (code %q), want code %q", tc.name, err, CodeOf(err), tc.code)
		}
	}
	var many []string
	for i := range MaxGroups + 1 {
		many = append(many, fmt.Sprintf("g%d", i))
	}
	if _, err := alpha.svc.SetGroups(ctx, "", "charlie", GroupChange{Replace: true, Set: many}); CodeOf(err) != CodeBadRequest {
		t.Errorf("too many groups: %v", err)
	}
	if m, _ := alpha.svc.roster.ByName(wg.ID, "charlie"); len(m.Groups) != 0 {
		t.Fatalf("a refused change changed the groups: %v", m.Groups)
	}
	// bravo, a non-root admin, changes charlie's groups with its node key
	// (once gossip has taught it charlie).
	testutil.Eventually(t, 10*time.Second, func() error { return wantMembers(bravo, wg.ID, 3) })
	if m, err := bravo.svc.SetGroups(ctx, "", "charlie", GroupChange{Add: []string{"ops"}}); err != nil || !slices.Equal(m.Groups, []string{"ops"}) {
		t.Fatalf("non-root admin: %+v %v", m, err)
	}
}
