package spool

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

// sendBig copies size random bytes from alice to bob and returns the job
// and the bytes.
func sendBig(t *testing.T, alice *tnode, size int) (Job, []byte) {
	t.Helper()
	big := make([]byte, size)
	rand.Read(big)
	p := writeFile(t, t.TempDir(), "big.bin", big)
	jobs, err := alice.svc.Send(context.Background(), SendRequest{To: []string{"bob"}, Kind: KindFile, Paths: []string{p}})
	if err != nil {
		t.Fatal(err)
	}
	return jobs[0], big
}

// acceptOnce checks bob holds exactly one copy and that it is big.
func acceptOnce(t *testing.T, bob *tnode, big []byte) {
	t.Helper()
	ctx := context.Background()
	fl, _ := bob.svc.Inbox(ctx, KindFile, false)
	if len(fl) != 1 {
		t.Fatalf("bob's inbox holds %d copies, want 1: %+v", len(fl), fl)
	}
	dest := t.TempDir()
	if _, err := bob.svc.Accept(ctx, fl[0].ID, dest); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "big.bin")); !bytes.Equal(got, big) {
		t.Fatal("the copy differs after delivery")
	}
	left, _ := filepath.Glob(filepath.Join(bob.home, "spool", "partial", "*"))
	if len(left) != 0 {
		t.Fatalf("bob keeps partial files: %v", left)
	}
}

// A large copy to a connected member goes live (sent while sealed), is
// delivered once and staged, and nothing is left in either spool.
func TestLiveOfferDelivers(t *testing.T) {
	t.Parallel()
	alice, bob := connectedPair(t)
	j, big := sendBig(t, alice, 3<<20+5)
	waitState(t, alice, j.ID, StateDelivered)
	if n := alice.svc.liveDone.Load(); n != 1 {
		t.Fatalf("%d live offers settled, want 1", n)
	}
	acceptOnce(t, bob, big)
	for _, n := range []*tnode{alice, bob} {
		left, _ := filepath.Glob(filepath.Join(n.home, "spool", "[0-9a-f]*"))
		if len(left) != 0 {
			t.Fatalf("%s keeps spool files: %v", n.name, left)
		}
	}
}

// A recipient from before live offers answers "unknown op": the copy is
// offered the old way once it is queued.
func TestLiveOfferToOldNode(t *testing.T) {
	t.Parallel()
	alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
	group(alice, bob)
	bob.mutate = func(c *Config) { c.noLiveServe = true }
	alice.start()
	bob.start()
	connect(t, alice, bob)
	j, big := sendBig(t, alice, 1<<20)
	waitState(t, alice, j.ID, StateDelivered)
	if n := alice.svc.liveDone.Load(); n != 0 {
		t.Fatalf("%d live offers settled by a node that has none", n)
	}
	acceptOnce(t, bob, big)
}

// The recipient vanishes after the ciphertext arrived and before the
// envelope: the job stays queued, is offered again, resumes from the
// partial file the live offer left (nothing sent twice) and is stored
// once.
func TestLiveOfferBrokenThenResumed(t *testing.T) {
	t.Parallel()
	alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
	group(alice, bob)
	broke := make(chan int64, 1)
	bob.mutate = func(c *Config) {
		c.liveReceived = func(key string) error {
			fi, _ := os.Stat(filepath.Join(bob.home, "spool", "partial", key))
			broke <- fi.Size()
			return errors.New("test: the recipient vanishes")
		}
	}
	alice.start()
	bob.start()
	connect(t, alice, bob)
	j, big := sendBig(t, alice, 2<<20)
	var held int64
	select {
	case held = <-broke:
	case <-time.After(15 * time.Second):
		t.Fatal("no live offer reached bob")
	}
	if held < 2<<20 {
		t.Fatalf("the partial file holds %d bytes", held)
	}
	waitState(t, alice, j.ID, StateDelivered)
	if n := alice.svc.liveDone.Load(); n != 0 {
		t.Fatalf("%d live offers settled, want 0 (the offer broke)", n)
	}
	acceptOnce(t, bob, big)
}

// A seal that fails (the file shrinks while sealed) queues nothing, and
// the recipient drops what the live offer sent.
func TestLiveOfferSealFails(t *testing.T) {
	t.Parallel()
	alice, bob := connectedPair(t)
	p := writeFile(t, t.TempDir(), "f.bin", make([]byte, 1<<20))
	files, err := collectFiles([]string{p}, false)
	if err != nil {
		t.Fatal(err)
	}
	files[0].entry.Size = 2 << 20 // more than the file holds
	hdr := PayloadHeader{Kind: KindFile, Files: []FileEntry{files[0].entry}}
	live, err := alice.svc.maybeLive(bob.id.PeerID, testWG, hdr, files[0].entry.Size)
	if err != nil || live == nil {
		t.Fatalf("no live offer: %v", err)
	}
	if _, err := alice.svc.seal(testWG, bob.member(), hdr, files, "f", live); err == nil {
		t.Fatal("the seal of a shrunk file succeeded")
	}
	live.told(nil)
	alice.svc.liveWG.Wait()
	eventuallyEmpty(t, filepath.Join(bob.home, "spool", "partial"))
	if fl, _ := bob.svc.Inbox(context.Background(), KindFile, false); len(fl) != 0 {
		t.Fatalf("bob holds %+v", fl)
	}
	if q, _ := alice.svc.Queue(context.Background()); len(q) != 0 {
		t.Fatalf("alice queued %+v", q)
	}
}

func eventuallyEmpty(t *testing.T, dir string) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, func() error {
		left, _ := filepath.Glob(filepath.Join(dir, "*"))
		if len(left) != 0 {
			return fmt.Errorf("%s holds %v", dir, left)
		}
		return nil
	})
}
