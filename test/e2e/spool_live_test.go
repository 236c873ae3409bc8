package e2e

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// livePair starts alpha and bravo in one workgroup, connected, with fixed
// ports (they are killed and started again).
func livePair(t *testing.T) (alpha, bravo *Node) {
	t.Helper()
	alpha, bravo = NewNode(t, "alpha"), NewNode(t, "bravo")
	for _, n := range []*Node{alpha, bravo} {
		n.Env = []string{"PEERHOOD_SPOOL_RETRY_BASE=200ms", "PEERHOOD_SPOOL_RETRY_CAP=1s"}
		n.StartPinned("--log-level", "debug") // shown only when the test fails
	}
	alpha.MustRun("workgroup", "create", "office")
	tok := strings.TrimSpace(strings.SplitN(alpha.MustRun("invite"), "\n", 2)[0])
	bravo.MustRun("join", tok, "--name", "bravo")
	bravo.MustRun("connect", alpha.TCPAddr())
	return alpha, bravo
}

// partialBytes is what bravo's partial files hold in all.
func partialBytes(n *Node) int64 {
	var sum int64
	ents, _ := filepath.Glob(filepath.Join(n.Home, "spool", "partial", "*"))
	for _, e := range ents {
		if fi, err := os.Stat(e); err == nil {
			sum += fi.Size()
		}
	}
	return sum
}

// bgCopy is a `copy` command running in the background.
type bgCopy struct {
	done chan struct{}
	err  error
}

// wait returns the command's error once it has ended.
func (c *bgCopy) wait() error {
	<-c.done
	return c.err
}

// failed reports the command's error if it has ended with one.
func (c *bgCopy) failed() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// ended reports whether the command has ended.
func (c *bgCopy) ended() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// copyAsync runs `copy src bravo` on alpha in the background.
func copyAsync(alpha *Node, src string) *bgCopy {
	c := &bgCopy{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		_, c.err = alpha.Run("copy", src, "bravo")
	}()
	return c
}

// liveDiag is alpha's queue and both nodes' output, for a failure.
func liveDiag(alpha, bravo *Node) string {
	q, err := alpha.Run("queue")
	return fmt.Sprintf("\nALPHA'S QUEUE (%v):\n%s\nALPHA:\n%s\nBRAVO:\n%s", err, q, alpha.Output(), bravo.Output())
}

// liveRun is TestLiveCopySurvivesSIGKILL's pair and what it sent.
type liveRun struct {
	t            *testing.T
	alpha, bravo *Node
	src          string
	sums         map[string][32]byte // what must arrive, by file name
}

// mk writes a 48 MiB file of random bytes to send.
func (r *liveRun) mk(name string) string {
	data := make([]byte, 48<<20)
	rand.Read(data)
	r.sums[name] = sha256.Sum256(data)
	p := filepath.Join(r.src, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		r.t.Fatal(err)
	}
	return p
}

// restart kills n and starts it again, connected to other.
func (r *liveRun) restart(n, other *Node) {
	n.Kill()
	n.Name = ""
	n.Start("--log-level", "debug")
	n.MustRun("connect", other.TCPAddr())
}

func (r *liveRun) diag() string { return liveDiag(r.alpha, r.bravo) }

// killRecipient copies one.bin and kills bravo mid-transfer: bravo runs
// in slices until its partial file holds more than 1 MiB, and is killed
// there (or, should it have stored the whole copy within one slice,
// then: what the test asserts holds all the same). The copy is queued
// all the same and arrives once bravo is back.
func (r *liveRun) killRecipient() {
	t, alpha, bravo := r.t, r.alpha, r.bravo
	done := copyAsync(alpha, r.mk("one.bin"))
	stepped(t, bravo, r.diag, func() (bool, error) {
		if err := done.failed(); err != nil {
			return false, fmt.Errorf("copy failed: %w", err)
		}
		if n := partialBytes(bravo); n > 1<<20 {
			t.Logf("bravo is killed with %d bytes of the copy received", n)
			return true, nil
		}
		// No partial file but a staged folder: stored.
		stored := globCount(filepath.Join(bravo.Home, "spool", "partial", "*")) == 0 &&
			globCount(filepath.Join(bravo.Home, "spool", "plain", "*")) > 0
		if stored {
			t.Log("bravo stored the whole copy within one slice; killed after it")
		}
		return stored, nil
	})
	bravo.Kill()
	if err := done.wait(); err != nil {
		t.Fatalf("copy while the recipient died: %v", err)
	}
	r.restart(bravo, alpha)
	waitJobs(t, alpha, 60*time.Second, "delivered")
}

// killSender copies a file and kills alpha while it seals it: alpha
// runs in slices until its live offer reached bravo, and is killed
// there while its seal file (the ciphertext being written) still
// exists, so the job is not queued yet; the copy command must fail.
// Should alpha have sealed the whole copy within one slice, that copy
// is queued and must arrive like any other, and a new file is tried.
// It returns the name of the copy that must not arrive and how many
// copies were queued.
func (r *liveRun) killSender() (dead string, queued int) {
	t, alpha, bravo := r.t, r.alpha, r.bravo
	for try := 1; ; try++ {
		name := fmt.Sprintf("dead%d.bin", try)
		before := partialBytes(bravo)
		done := copyAsync(alpha, r.mk(name))
		caught := false
		stepped(t, alpha, r.diag, func() (bool, error) {
			if err := done.failed(); err != nil {
				return false, fmt.Errorf("copy failed: %w", err)
			}
			sealing := globCount(filepath.Join(alpha.Home, "spool", "tmp", "seal-*")) > 0
			if n := partialBytes(bravo); n > before {
				t.Logf("alpha is killed %s; bravo received %d bytes", map[bool]string{true: "while sealing", false: "after sealing"}[sealing], n-before)
				caught = sealing
				return true, nil
			}
			return done.ended(), nil // sealed and queued within one slice
		})
		if caught {
			alpha.Kill()
			if err := done.wait(); err == nil {
				t.Fatal("copy succeeded although its node died while sealing")
			}
			delete(r.sums, name)
			return name, queued
		}
		_ = alpha.cmd.Process.Signal(syscall.SIGCONT)
		if err := done.wait(); err != nil {
			t.Fatalf("copy: %v", err)
		}
		queued++
		if try == 3 {
			t.Fatalf("alpha sealed the whole copy within one slice %d times", try)
		}
		t.Logf("alpha sealed %s within one slice; it is queued: trying again once it is delivered", name)
		waitJobs(t, alpha, 60*time.Second, "delivered")
	}
}

// A large copy to a connected member is sent while it is sealed (a live
// offer). SIGKILL of the recipient or of the sender in the middle of it
// loses nothing that was queued and duplicates nothing: a copy the sender
// acknowledged arrives exactly once; one whose sender died while sealing
// is not queued (the copy command fails) and never arrives.
func TestLiveCopySurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("kills nodes mid-transfer")
	}
	alpha, bravo := livePair(t)
	r := &liveRun{t: t, alpha: alpha, bravo: bravo, src: t.TempDir(), sums: map[string][32]byte{}}

	// 1. The recipient dies mid-transfer.
	r.killRecipient()

	// 2. The sender dies while sealing: nothing is queued, nothing arrives.
	dead, queued := r.killSender()
	jobsWant := 1 + queued
	r.restart(alpha, bravo)
	if jobs := waitJobs(t, alpha, 30*time.Second, "delivered"); len(jobs) != jobsWant {
		t.Fatalf("after the sender died while sealing: %d jobs, want %d: %+v", len(jobs), jobsWant, jobs)
	}

	// 3. The sender dies right after queueing (the live offer in flight
	// or just done): the copy arrives exactly once.
	alpha.MustRun("copy", r.mk("two.bin"), "bravo")
	alpha.Kill()
	r.restart(alpha, bravo)
	if jobs := waitJobs(t, alpha, 60*time.Second, "delivered"); len(jobs) != jobsWant+1 {
		t.Fatalf("%d jobs, want %d: %+v", len(jobs), jobsWant+1, jobs)
	}

	var inbox []spoolItem
	bravo.JSON(&inbox, "inbox")
	if len(inbox) != len(r.sums) {
		t.Fatalf("bravo's inbox holds %d copies, want %d: %+v", len(inbox), len(r.sums), inbox)
	}
	dest := t.TempDir()
	for _, it := range inbox {
		bravo.MustRun("inbox", "accept", it.ID, dest)
	}
	for name, sum := range r.sums {
		data, err := os.ReadFile(filepath.Join(dest, name))
		if err != nil || sha256.Sum256(data) != sum {
			t.Errorf("%s: differs after delivery (%v)", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dest, dead)); err == nil {
		t.Error("the copy whose sender died while sealing arrived")
	}
}
