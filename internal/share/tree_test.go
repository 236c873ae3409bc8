package share

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Folders move several files at a time: every file arrives whole, the
// progress callback is never called concurrently (the race detector
// checks the unguarded map), and the counts add up.
func TestTreesMoveManyFilesConcurrently(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Rule{Who: "*", Right: "rw"})
	c := e.client("alice")
	want := map[string][]byte{}
	for i := range 60 {
		rel := fmt.Sprintf("tree/d%d/sub%d/f%02d.txt", i%3, i%2, i)
		want[rel] = randBytes(t, 1000+i*97)
		e.write(rel, want[rel])
	}
	e.write("tree/empty.txt", nil)
	want["tree/empty.txt"] = nil
	seen := map[string]int64{} // unguarded on purpose
	o := TransferOptions{Progress: func(name string, done, _ int64) { seen[name] = done }}
	dst := filepath.Join(t.TempDir(), "got")
	res, err := GetTree(e.ctx, c, "docs", "tree", dst, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != len(want) {
		t.Fatalf("get: %d files, want %d", res.Files, len(want))
	}
	for rel, data := range want {
		got, err := os.ReadFile(filepath.Join(dst, filepath.FromSlash(rel[len("tree/"):])))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("get %s: %v, equal=%v", rel, err, bytes.Equal(got, data))
		}
	}
	res, err = PutTree(e.ctx, c, dst, "docs", "back", o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != len(want) {
		t.Fatalf("put: %d files, want %d", res.Files, len(want))
	}
	for rel, data := range want {
		got, err := os.ReadFile(filepath.Join(e.root, "back", filepath.FromSlash(rel[len("tree/"):])))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("put %s: %v", rel, err)
		}
	}
	if len(seen) < len(want)-1 { // the empty file may report no progress
		t.Fatalf("progress for %d files", len(seen))
	}
}

// A failing file stops the folder transfer with that file's error.
func TestTreeStopsAtTheFirstFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Rule{Who: "*", Right: "rw"})
	c := e.client("alice")
	for i := range 20 {
		e.write(fmt.Sprintf("t/f%02d", i), []byte("x"))
	}
	dst := t.TempDir()
	// A local file where the folder "t" must be created: every file
	// fails to land, and the error names the cause.
	blocker := filepath.Join(dst, "t")
	os.WriteFile(blocker, []byte("in the way"), 0o644)
	if _, err := GetTree(e.ctx, c, "docs", "t", blocker, TransferOptions{Retries: -1}); err == nil {
		t.Fatal("GetTree into a path held by a file succeeded")
	}
	// A member who may only read gets the permission error, and nothing
	// lands.
	e2 := newEnv(t, Rule{Who: "*", Right: "ro"})
	ro := e2.client("bob")
	src := t.TempDir()
	for i := range 20 {
		os.WriteFile(filepath.Join(src, fmt.Sprintf("f%02d", i)), []byte("y"), 0o644)
	}
	_, err := PutTree(e2.ctx, ro, src, "docs", "up", TransferOptions{Retries: -1})
	if !errors.Is(err, ErrForbidden) {
		t.Fatalf("PutTree by a read-only member: %v, want ErrForbidden", err)
	}
	if _, err := os.Stat(filepath.Join(e2.root, "up")); !os.IsNotExist(err) {
		t.Fatalf("something landed: %v", err)
	}
}
