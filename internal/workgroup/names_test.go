package workgroup

import (
	"context"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

// Issue 16 item 7: two admins, one offline, admit the same name. alice
// admits the real gina while dave is away; then alice is away and dave,
// whose roster is stale, admits an impostor as "gina". Once the rosters
// converge, on every node: the real gina (admitted first) owns the name;
// the impostor is listed with NameConflict; `member remove gina` is
// refused as ambiguous and removing by peer ID removes the one named.
func TestNameTakenTwiceResolvesToFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alice, dave := newTNode(t, "alice"), newTNode(t, "dave")
	gina, impostor := newTNode(t, "gina"), newTNode(t, "impostor")
	wg := mustCreate(t, alice, "office")
	mustJoin(t, dave, mustInvite(t, alice, InviteOptions{Admin: true}), "")
	dave.stop()
	mustJoin(t, gina, mustInvite(t, alice, InviteOptions{}), "gina")
	alice.stop()
	gina.stop()
	dave.start()
	// A second later: the impostor's certificate is the newer one.
	time.Sleep(1100 * time.Millisecond)
	if m := mustJoin(t, impostor, mustInvite(t, dave, InviteOptions{}), "gina"); m.Name != "gina" {
		t.Fatalf("impostor joined as %q", m.Name)
	}
	alice.start()
	gina.start()
	for _, n := range []*tnode{alice, gina} {
		if err := n.dial(dave); err != nil {
			t.Fatal(err)
		}
	}
	nodes := []*tnode{alice, dave, gina, impostor}
	testutil.Eventually(t, 10*time.Second, func() error {
		for _, n := range nodes {
			if err := wantMembers(n, wg.ID, 4); err != nil {
				return err
			}
		}
		return nil
	})
	for _, n := range nodes {
		m, ok := n.svc.roster.ByName(wg.ID, "gina")
		if !ok || m.PeerID != gina.host.ID() || m.NameConflict {
			t.Fatalf("%s: gina is %+v, want the one admitted first", n.name, m)
		}
		imp, ok := n.svc.roster.Member(wg.ID, impostor.host.ID())
		if !ok || !imp.NameConflict {
			t.Fatalf("%s: the impostor is not shown as a name conflict: %+v", n.name, imp)
		}
	}
	if _, err := alice.svc.Remove(ctx, "", "gina"); CodeOf(err) != CodeConflict {
		t.Fatalf("member remove gina with two ginas: %v, want a conflict", err)
	}
	if _, ok := alice.svc.roster.Member(wg.ID, gina.host.ID()); !ok {
		t.Fatal("the real gina was removed")
	}
	if m, err := alice.svc.Remove(ctx, "", impostor.host.ID().String()); err != nil || m.PeerID != impostor.host.ID() {
		t.Fatalf("remove by peer ID: %+v, %v", m, err)
	}
	if m, ok := alice.svc.roster.ByName(wg.ID, "gina"); !ok || m.PeerID != gina.host.ID() {
		t.Fatal("the real gina lost its name")
	}
}
