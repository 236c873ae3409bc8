package spool

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A large file copy is decrypted while it arrives: the recipient keeps no
// ciphertext, and inbox accept links the staged files into place (same
// inode), refusing to replace an existing file without losing the item.
func TestStagedCopyAcceptLinks(t *testing.T) {
	t.Parallel()
	alice, bob := connectedPair(t)
	ctx := context.Background()
	src := t.TempDir()
	big := make([]byte, 3<<20)
	rand.Read(big)
	writeFile(t, src, "tree/a.bin", big)
	writeFile(t, src, "tree/sub/b.txt", []byte("second file"))
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindFile, Paths: []string{filepath.Join(src, "tree")}, Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, jobs[0].ID, StateDelivered)
	id := jobs[0].ID

	var hash, stage string
	if err := bob.db.QueryRow(`SELECT hash, staged FROM spool_inbox WHERE id=?`, id).Scan(&hash, &stage); err != nil {
		t.Fatal(err)
	}
	if stage == "" {
		t.Fatal("large file copy was not staged")
	}
	if _, err := os.Stat(filepath.Join(bob.home, "spool", hash)); !os.IsNotExist(err) {
		t.Fatalf("recipient kept the ciphertext of a staged copy: %v", err)
	}
	if parts, _ := filepath.Glob(filepath.Join(bob.home, "spool", "partial", "in-*")); len(parts) != 0 {
		t.Fatalf("partial ciphertext left behind: %v", parts)
	}
	stagedA := filepath.Join(bob.home, "spool", "plain", stage, "tree", "a.bin")
	before, err := os.Stat(stagedA)
	if err != nil {
		t.Fatal(err)
	}

	refusedOverExisting(t, bob, id)
	// A restart keeps the staged files of a waiting item but drops
	// orphaned staging folders.
	junk := filepath.Join(bob.home, "spool", "plain", "orphan-0000")
	os.MkdirAll(junk, 0o700)
	bob.stop()
	bob.start()
	if _, err := os.Stat(junk); !os.IsNotExist(err) {
		t.Fatal("orphaned staging folder kept across restart")
	}

	dest := filepath.Join(t.TempDir(), "in")
	res, err := bob.svc.Accept(ctx, id, dest)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 2 {
		t.Fatalf("accepted %v", res.Files)
	}
	got, err := os.ReadFile(filepath.Join(dest, "tree", "a.bin"))
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("accepted file differs (%v)", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "tree", "sub", "b.txt")); string(got) != "second file" {
		t.Fatalf("second file %q", got)
	}
	after, err := os.Stat(filepath.Join(dest, "tree", "a.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("accept copied the staged file instead of linking it")
	}
	if _, err := os.Stat(filepath.Join(bob.home, "spool", "plain", stage)); !os.IsNotExist(err) {
		t.Fatal("staging folder left after accept")
	}
	if _, err := bob.svc.Accept(ctx, id, t.TempDir()); err == nil {
		t.Fatal("accepted twice")
	}
}

// Removing a staged item drops its staging folder.
func TestStagedCopyRemove(t *testing.T) {
	t.Parallel()
	alice, bob := connectedPair(t)
	id, stage := sendStaged(t, alice, bob, bytes.Repeat([]byte("x"), 1<<20))
	if _, err := bob.svc.Remove(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(bob.home, "spool", "plain", stage)); !os.IsNotExist(err) {
		t.Fatal("staging folder left after rm")
	}
}

// sendStaged sends data from alice to bob as a file copy, waits until it
// is delivered, and returns the job's ID and bob's staging folder.
func sendStaged(t *testing.T, alice, bob *tnode, data []byte) (id, stage string) {
	t.Helper()
	p := writeFile(t, t.TempDir(), "f.bin", data)
	jobs, err := alice.svc.Send(context.Background(), SendRequest{To: []string{"bob"}, Kind: KindFile, Paths: []string{p}})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, jobs[0].ID, StateDelivered)
	bob.db.QueryRow(`SELECT staged FROM spool_inbox WHERE id=?`, jobs[0].ID).Scan(&stage)
	if stage == "" {
		t.Fatal("not staged")
	}
	return jobs[0].ID, stage
}

// refusedOverExisting checks that accepting item id into a destination
// holding a file of the same name is refused, adds nothing there and
// leaves the item waiting.
func refusedOverExisting(t *testing.T, bob *tnode, id string) {
	t.Helper()
	ctx := context.Background()
	// A destination holding a file of the same name: refused, nothing
	// added there, the item still waits.
	busy := t.TempDir()
	writeFile(t, busy, "tree/sub/b.txt", []byte("mine"))
	if _, err := bob.svc.Accept(ctx, id, busy); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("accept over an existing file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(busy, "tree", "a.bin")); !os.IsNotExist(err) {
		t.Fatal("a refused accept left a file behind")
	}
	if got, _ := os.ReadFile(filepath.Join(busy, "tree/sub/b.txt")); string(got) != "mine" {
		t.Fatal("existing file replaced")
	}
}
