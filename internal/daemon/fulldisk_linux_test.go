//go:build linux

package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/testutil"
)

// smallHome mounts a tmpfs of size (mode 0700) at a short path, or skips
// (not root).
func smallHome(t *testing.T, size string) string {
	t.Helper()
	return testutil.Tmpfs{Size: size, Mode: "0700"}.Mount(t)
}

// keysIntact fails unless home's key files are whole (or absent) and no
// temporary key file is left.
func keysIntact(t *testing.T, home string) {
	t.Helper()
	ents, _ := os.ReadDir(home)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp-key-") {
			t.Errorf("temporary key file left: %s", e.Name())
		}
	}
	for _, f := range []string{identity.NodeKeyFile, identity.AgeKeyFile} {
		fi, err := os.Stat(filepath.Join(home, f))
		if err == nil && fi.Size() == 0 {
			t.Errorf("%s is empty", f)
		}
	}
}

// A node started on a full disk: a fresh state folder fails with an
// error that says the disk is full and leaves no partial key; a folder a
// node ran in keeps its keys and database; freeing space is enough for
// the next start, with the same identity.
func TestStartOnFullDisk(t *testing.T) {
	t.Run("fresh", func(t *testing.T) {
		home := smallHome(t, "2m")
		free := testutil.FillDisk(t, home).Free
		_, err := Start(context.Background(), opts(home, "alpha"))
		if err == nil {
			t.Fatal("started on a full disk with no room for its keys")
		}
		if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "no space") {
			t.Fatalf("start on a full disk: %v, want an error saying no space", err)
		}
		t.Logf("fresh home on a full disk: %v", err)
		keysIntact(t, home)
		free()
		n := start(t, opts(home, "alpha"))
		n.Close()
		keysIntact(t, home)
	})
	t.Run("ran before", func(t *testing.T) {
		home := smallHome(t, "16m")
		n := start(t, opts(home, "alpha"))
		was := n.id.PeerID
		n.Close()
		free := testutil.FillDisk(t, home).Free
		n, err := Start(context.Background(), opts(home, "alpha"))
		if err == nil {
			t.Log("started on a full disk (its state was in place)")
			n.Close()
		} else {
			t.Logf("start on a full disk: %v", err)
			if !errors.Is(err, store.ErrFull) || !strings.Contains(err.Error(), "disk full") {
				t.Errorf("start on a full disk: %v, want an error saying the disk is full", err)
			}
		}
		keysIntact(t, home)
		free()
		n = start(t, opts(home, "alpha"))
		if n.id.PeerID != was {
			t.Fatalf("identity changed: %s, was %s", n.id.PeerID, was)
		}
		n.Close()
	})
}
