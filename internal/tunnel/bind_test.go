package tunnel

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Issue 16 item 7, for services: a name rule is bound to the peer ID that
// held the name when the rule was stored (on add and on set), so a second
// member with the name (a conflict) or a later joiner who takes a freed
// name never inherits the right.
func TestServiceRulesBoundToPeer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	real := workgroup.Member{Workgroup: testWG, Name: "gina", PeerID: peer.ID("real-gina")}
	impostor := workgroup.Member{Workgroup: testWG, Name: "gina", PeerID: peer.ID("impostor"), NameConflict: true}
	joiner := workgroup.Member{Workgroup: testWG, Name: "gina", PeerID: peer.ID("new-joiner")}
	c := &Configs{db: db, dir: workgroup.NewStaticDirectory(peer.ID("self"), real)}

	rules, err := ParseRules([]string{"gina=use"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Add(ctx, Config{Name: "ssh", Workgroup: testWG, Target: "127.0.0.1:22", Kind: KindTCP, Rules: rules}); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		cfg, err := c.Get(ctx, "ssh")
		if err != nil {
			t.Fatal(err)
		}
		if len(cfg.Rules) != 1 || cfg.Rules[0].Peer != real.PeerID.String() {
			t.Fatalf("%s: stored rules %+v, want gina bound to %s", when, cfg.Rules, real.PeerID)
		}
		for _, m := range []workgroup.Member{impostor, joiner} {
			if MayUse(cfg.Rules, m) {
				t.Errorf("%s: %s (another gina) may use the service", when, m.PeerID)
			}
		}
		if !MayUse(cfg.Rules, real) {
			t.Errorf("%s: the gina the rule names may not use it", when)
		}
	}
	check("after add")
	if err := c.SetRules(ctx, "ssh", rules); err != nil {
		t.Fatal(err)
	}
	check("after set")
}
