//go:build linux

package davfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/peerhood/peerhood/internal/testutil"
)

// TestFullDisk writes past the end of a 1 MiB tmpfs: 507 Insufficient
// Storage, and no partial or temp file left behind. It needs root (to
// mount) and skips otherwise.
func TestFullDisk(t *testing.T) {
	t.Parallel()
	dir := testutil.MountTmpfs(t, "1m")
	e := newEnv(t)
	must(t, e.backend.Add("tiny", dir, false))
	big := strings.Repeat("x", 2<<20)
	r := e.do("PUT", "/alpha/tiny/big.bin", nil, big)
	if r.code != 507 {
		t.Fatalf("PUT of 2 MiB onto 1 MiB = %d, want 507: %s", r.code, r.body)
	}
	if !strings.Contains(r.body, "no space") {
		t.Errorf("reply does not say why: %q", r.body)
	}
	ents, err := os.ReadDir(dir)
	must(t, err)
	if len(ents) != 0 {
		t.Fatalf("left behind: %v", ents)
	}
	// A small file still fits, and a failed replace keeps the old one.
	if r := e.do("PUT", "/alpha/tiny/small.txt", nil, "small"); r.code != 201 {
		t.Fatalf("small PUT = %d", r.code)
	}
	if r := e.do("PUT", "/alpha/tiny/small.txt", nil, big); r.code != 507 {
		t.Fatalf("replacing PUT = %d, want 507", r.code)
	}
	if got := read(t, filepath.Join(dir, "small.txt")); got != "small" {
		t.Fatalf("old file now holds %d bytes", len(got))
	}
}

// TestReadOnlyFilesystem: an own share on a read-only mount answers 403
// to writes, not 500.
func TestReadOnlyFilesystem(t *testing.T) {
	t.Parallel()
	dir := testutil.Tmpfs{Size: "1m", ReadOnly: true}.Mount(t)
	e := newEnv(t)
	must(t, e.backend.Add("rofs", dir, false))
	for _, c := range []struct{ method, path string }{{"PUT", "/alpha/rofs/x.txt"}, {"MKCOL", "/alpha/rofs/d"}} {
		if r := e.do(c.method, c.path, nil, ""); r.code != 403 {
			t.Errorf("%s on a read-only mount = %d, want 403: %s", c.method, r.code, r.body)
		}
	}
}

// TestTokenOnFullDisk: the WebDAV token cannot be made on a full disk:
// an error saying so, and no file left (an empty token file would stop
// every later start); once space is freed it is made, and read back.
func TestTokenOnFullDisk(t *testing.T) {
	t.Parallel()
	dir := testutil.MountTmpfs(t, "64k")
	filler := testutil.FillDisk(t, dir)
	if _, err := LoadOrCreateToken(dir); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("token on a full disk: %v, want ENOSPC", err)
	}
	ents, err := os.ReadDir(dir)
	must(t, err)
	if len(ents) != 1 {
		t.Fatalf("left behind: %v", ents)
	}
	filler.Free()
	tok, err := LoadOrCreateToken(dir)
	must(t, err)
	again, err := LoadOrCreateToken(dir)
	must(t, err)
	if again != tok {
		t.Fatal("the token read back differs")
	}
}
