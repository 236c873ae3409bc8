package e2e

import (
	"crypto/rand"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
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
		n.Listen = freeListen(t)
		n.Start()
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

// copyAsync runs `copy src bravo` on alpha in the background.
func copyAsync(alpha *Node, src string) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := alpha.Run("copy", src, "bravo")
		done <- err
	}()
	return done
}

// waitPartial waits until bravo's partial files hold more than min bytes.
func waitPartial(t *testing.T, bravo *Node, min int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for partialBytes(bravo) <= min {
		if time.Now().After(deadline) {
			t.Fatalf("no live offer reached bravo (partial files hold %d bytes)", partialBytes(bravo))
		}
		time.Sleep(3 * time.Millisecond)
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
	src := t.TempDir()
	sums := map[string][32]byte{}
	mk := func(name string) string {
		data := make([]byte, 48<<20)
		rand.Read(data)
		sums[name] = sha256.Sum256(data)
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	restart := func(n, other *Node) {
		n.Kill()
		n.Name = ""
		n.Start()
		n.MustRun("connect", other.TCPAddr())
	}

	// 1. The recipient dies mid-transfer: the copy is queued all the same
	// and arrives once it is back.
	done := copyAsync(alpha, mk("one.bin"))
	waitPartial(t, bravo, 1<<20)
	bravo.Kill()
	if err := <-done; err != nil {
		t.Fatalf("copy while the recipient died: %v", err)
	}
	restart(bravo, alpha)
	waitJobs(t, alpha, 60*time.Second, "delivered")

	// 2. The sender dies while sealing: the copy command fails, nothing
	// is queued, nothing arrives.
	before := partialBytes(bravo)
	done = copyAsync(alpha, mk("dead.bin"))
	waitPartial(t, bravo, before)
	alpha.Kill()
	if err := <-done; err == nil {
		t.Fatal("copy succeeded although its node died while sealing")
	}
	delete(sums, "dead.bin")
	restart(alpha, bravo)
	if jobs := waitJobs(t, alpha, 30*time.Second, "delivered"); len(jobs) != 1 {
		t.Fatalf("after the sender died while sealing: %d jobs, want 1: %+v", len(jobs), jobs)
	}

	// 3. The sender dies right after queueing (the live offer in flight
	// or just done): the copy arrives exactly once.
	alpha.MustRun("copy", mk("two.bin"), "bravo")
	alpha.Kill()
	restart(alpha, bravo)
	if jobs := waitJobs(t, alpha, 60*time.Second, "delivered"); len(jobs) != 2 {
		t.Fatalf("%d jobs, want 2: %+v", len(jobs), jobs)
	}

	var inbox []spoolItem
	bravo.JSON(&inbox, "inbox")
	if len(inbox) != len(sums) {
		t.Fatalf("bravo's inbox holds %d copies, want %d: %+v", len(inbox), len(sums), inbox)
	}
	dest := t.TempDir()
	for _, it := range inbox {
		bravo.MustRun("inbox", "accept", it.ID, dest)
	}
	for name, sum := range sums {
		data, err := os.ReadFile(filepath.Join(dest, name))
		if err != nil || sha256.Sum256(data) != sum {
			t.Errorf("%s: differs after delivery (%v)", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dest, "dead.bin")); err == nil {
		t.Error("the copy whose sender died while sealing arrived")
	}
}
