//go:build linux

package spool

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Accepting into another file system (where links fail) copies the staged
// files and still never replaces one.
func TestStagedCopyAcceptAcrossFileSystems(t *testing.T) {
	t.Parallel()
	other, err := os.MkdirTemp("/dev/shm", "peerhood-accept-")
	if err != nil {
		t.Skip("no /dev/shm:", err)
	}
	t.Cleanup(func() { os.RemoveAll(other) })
	alice, bob := connectedPair(t)
	var a, b syscall.Stat_t
	if syscall.Stat(other, &a) != nil || syscall.Stat(bob.home, &b) != nil || a.Dev == b.Dev {
		t.Skip("/dev/shm is on the same file system as the test's folder")
	}
	ctx := context.Background()
	big := make([]byte, 2<<20)
	rand.Read(big)
	id, stage := sendStaged(t, alice, bob, big)
	writeFile(t, other, "taken/f.bin", []byte("mine"))
	if _, err := bob.svc.Accept(ctx, id, filepath.Join(other, "taken")); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("accept over an existing file: %v", err)
	}
	if _, err := bob.svc.Accept(ctx, id, filepath.Join(other, "in")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(other, "in", "f.bin")); !bytes.Equal(got, big) {
		t.Fatal("copied file differs")
	}
	if got, _ := os.ReadFile(filepath.Join(other, "taken", "f.bin")); string(got) != "mine" {
		t.Fatal("existing file replaced")
	}
	if _, err := os.Stat(filepath.Join(bob.home, "spool", "plain", stage)); !os.IsNotExist(err) {
		t.Fatal("staging folder left after accept")
	}
}
