package share

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Every change of the share list applies to the very next request,
// though requests read the share from a cache: a right taken away, given
// back, a share removed and added again over another folder.
func TestShareChangesApplyToTheNextRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Rule{Who: "alice", Right: "rw"})
	c := e.client("alice")
	e.write("a.txt", []byte("first folder"))
	other := filepath.Join(e.base, "other")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "b.txt"), []byte("second folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, step := range []struct {
		change  func() error
		path    string
		wantErr error // nil: the stat succeeds
	}{
		{func() error { return nil }, "a.txt", nil},
		{func() error { return e.svc.Configs().SetRules(e.ctx, "docs", []Rule{{Who: "alice", Right: "none"}}) }, "a.txt", ErrNotFound},
		{func() error { return e.svc.Configs().SetRules(e.ctx, "docs", []Rule{{Who: "alice", Right: "ro"}}) }, "a.txt", nil},
		{func() error { return e.svc.Configs().Remove(e.ctx, "docs") }, "a.txt", ErrNotFound},
		{func() error {
			_, err := e.svc.Configs().Add(e.ctx, Config{Name: "docs", Workgroup: testWG, Path: other, Rules: []Rule{{Who: "*", Right: "ro"}}})
			return err
		}, "b.txt", nil},
		{func() error { return nil }, "a.txt", ErrNotFound},
	} {
		if err := step.change(); err != nil {
			t.Fatalf("step %d: change: %v", i, err)
		}
		_, err := c.Stat(e.ctx, "docs", step.path)
		if step.wantErr == nil && err != nil || step.wantErr != nil && !errors.Is(err, step.wantErr) {
			t.Fatalf("step %d: stat %s: %v, want %v", i, step.path, err, step.wantErr)
		}
	}
}
