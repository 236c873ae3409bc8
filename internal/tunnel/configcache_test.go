package tunnel

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// TestConfigsGetFromMemory: Get answers from the in-memory copy (a change
// made behind Configs' back is not seen: no query per connection), and
// every change made through Configs (add, set, remove) is seen by the
// next Get; names match without regard to ASCII case, as the column's
// COLLATE NOCASE.
func TestConfigsGetFromMemory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &Configs{db: db}
	use, _ := ParseRules([]string{"*=use"})
	none, _ := ParseRules([]string{"*=none"})
	if _, err := c.Add(ctx, Config{Name: "Web", Workgroup: testWG, Target: "127.0.0.1:80", Kind: KindTCP, Rules: use}); err != nil {
		t.Fatal(err)
	}
	target := func(name string) string {
		t.Helper()
		cfg, err := c.Get(ctx, name)
		if errors.Is(err, ErrNoService) {
			return "none"
		}
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Target
	}
	steps := []struct {
		name   string
		change func() error
		get    string
		want   string
	}{
		{"added, other case", func() error { return nil }, "WEB", "127.0.0.1:80"},
		{"changed behind Configs' back: not seen", func() error {
			_, err := db.ExecContext(ctx, `UPDATE tunnel_services SET target = '127.0.0.1:81'`)
			return err
		}, "web", "127.0.0.1:80"},
		{"set rules: the copy is dropped", func() error { return c.SetRules(ctx, "web", none) }, "web", "127.0.0.1:81"},
		{"removed", func() error { return c.Remove(ctx, "wEb") }, "web", "none"},
		{"added again", func() error {
			_, err := c.Add(ctx, Config{Name: "web", Workgroup: testWG, Target: "127.0.0.1:82", Kind: KindTCP, Rules: use})
			return err
		}, "Web", "127.0.0.1:82"},
	}
	for _, st := range steps {
		if err := st.change(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := target(st.get); got != st.want {
			t.Errorf("%s: target %s, want %s", st.name, got, st.want)
		}
	}
	cfg, _ := c.Get(ctx, "web")
	if len(cfg.Rules) == 0 || !MayUse(cfg.Rules, workgroup.Member{Workgroup: testWG, Name: "bob"}) {
		t.Fatalf("rules of the re-added service: %+v", cfg.Rules)
	}
}
