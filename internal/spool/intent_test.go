package spool

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

var errCrash = errors.New("simulated crash after writing into the share")

// crashOnce makes the recipient "crash" after writing a copy's files into
// a share and before recording the message, the first time only.
func crashOnce(t *testing.T) *atomic.Int32 {
	var n atomic.Int32
	testHookAfterShareWrite = func(string) error {
		if n.Add(1) == 1 {
			return errCrash
		}
		return nil
	}
	t.Cleanup(func() { testHookAfterShareWrite = nil })
	return &n
}

// The recipient crashes between writing a copy into a share and recording
// it: the sender's resend is recognised as the recipient's own completed
// write (same message, same bytes) and acknowledged exactly once, not
// refused as existing; a file that went missing meanwhile is written
// again, and none is written twice. A file someone else put there
// meanwhile is replaced (the default, as get and put do), or with
// --no-clobber refuses the copy.
func TestCopyIntoShareIdempotentAfterCrash(t *testing.T) {
	for _, c := range []struct {
		name      string
		before    func(docs string) // between the crash and the resend
		fail      string            // expected failure, "" for delivered
		noClobber bool
	}{
		{name: "files in place", before: func(string) {}},
		{name: "one file lost", before: func(docs string) { os.Remove(filepath.Join(docs, "in", "tree", "sub", "b.txt")) }},
		{name: "file replaced by another", before: func(docs string) {
			os.WriteFile(filepath.Join(docs, "in", "tree", "sub", "b.txt"), []byte("not yours"), 0o644)
		}},
		{name: "file replaced by another, no clobber", before: func(docs string) {
			os.WriteFile(filepath.Join(docs, "in", "tree", "sub", "b.txt"), []byte("not yours"), 0o644)
		}, fail: "exists", noClobber: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			calls := crashOnce(t)
			alice, bravo := newTNode(t, "alice"), newTNode(t, "bravo")
			group(alice, bravo)
			docs := t.TempDir()
			withShare(t, bravo, docs)
			alice.start()
			bravo.start()
			connect(t, alice, bravo)
			ctx := context.Background()
			src := t.TempDir()
			big := make([]byte, 1<<20)
			rand.Read(big)
			writeFile(t, src, "tree/a.bin", big)
			writeFile(t, src, "tree/sub/b.txt", []byte("bee"))
			jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bravo:docs/in"}, Kind: KindFile, Paths: []string{filepath.Join(src, "tree")}, Recursive: true, NoClobber: c.noClobber})
			if err != nil {
				t.Fatal(err)
			}
			id := jobs[0].ID
			testutil.Eventually(t, 10*time.Second, func() error {
				if calls.Load() == 0 {
					return errors.New("not written yet")
				}
				return nil
			})
			// The node dies there and comes back.
			bravo.stop()
			if _, err := os.Stat(filepath.Join(docs, "in", "tree", "a.bin")); err != nil {
				t.Fatalf("the crashed write left no file: %v", err)
			}
			c.before(docs)
			bravo.start()
			connect(t, alice, bravo)
			alice.svc.Retry(ctx, id)
			if c.fail != "" {
				if j := waitState(t, alice, id, StateFailed); !strings.Contains(j.Error, c.fail) {
					t.Fatalf("reason %q", j.Error)
				}
				if got, _ := os.ReadFile(filepath.Join(docs, "in", "tree", "sub", "b.txt")); string(got) != "not yours" {
					t.Fatalf("someone else's file changed: %q", got)
				}
				return
			}
			waitState(t, alice, id, StateDelivered)
			if got, _ := os.ReadFile(filepath.Join(docs, "in", "tree", "a.bin")); !bytes.Equal(got, big) {
				t.Fatal("a.bin differs")
			}
			if got, _ := os.ReadFile(filepath.Join(docs, "in", "tree", "sub", "b.txt")); string(got) != "bee" {
				t.Fatalf("b.txt = %q", got)
			}
			ents, _ := os.ReadDir(filepath.Join(docs, "in", "tree"))
			if len(ents) != 2 {
				t.Fatalf("share folder holds %v", ents)
			}
			it, err := bravo.svc.Item(ctx, id, false)
			if err != nil || it.State != ItemAccepted {
				t.Fatalf("item %+v %v", it, err)
			}
			var intents int
			bravo.db.QueryRow(`SELECT count(*) FROM spool_share_intents`).Scan(&intents)
			if intents != 0 {
				t.Fatalf("%d intents left after the message was recorded", intents)
			}
		})
	}
}
