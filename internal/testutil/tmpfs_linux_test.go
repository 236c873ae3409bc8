package testutil

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A tmpfs mounts, FillDisk leaves no byte free, Free gives it back, and
// the cleanup unmounts it and removes its directory.
func TestMountTmpfsFillDisk(t *testing.T) {
	var dir string
	var busy *os.File
	defer func() {
		if busy != nil {
			busy.Close()
		}
	}()
	t.Run("mount", func(t *testing.T) {
		dir = Tmpfs{Size: "256k", Mode: "0700"}.Mount(t)
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("root of the tmpfs: %v %v", fi, err)
		}
		f := FillDisk(t, dir)
		if f.Size < 128<<10 || f.Size > 256<<10 {
			t.Fatalf("filled %d bytes of a 256 KiB tmpfs", f.Size)
		}
		err := os.WriteFile(filepath.Join(dir, "one"), []byte("x"), 0o600)
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("a byte more on the full disk: %v, want ENOSPC", err)
		}
		f.Free()
		if err := os.WriteFile(filepath.Join(dir, "one"), []byte("x"), 0o600); err != nil {
			t.Fatalf("after Free: %v", err)
		}
		// Still busy at cleanup: the unmount falls back to a lazy one.
		var err2 error
		if busy, err2 = os.Open(filepath.Join(dir, "one")); err2 != nil {
			t.Fatal(err2)
		}
	})
	if t.Failed() {
		return
	}
	if dir == "" {
		t.Skip("no tmpfs mounted")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the tmpfs directory is left after cleanup: %v", err)
	}
}

func TestReadOnlyTmpfs(t *testing.T) {
	dir := Tmpfs{Size: "64k", ReadOnly: true}.Mount(t)
	err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o600)
	if !errors.Is(err, syscall.EROFS) {
		t.Fatalf("write on a read-only tmpfs: %v, want EROFS", err)
	}
}
