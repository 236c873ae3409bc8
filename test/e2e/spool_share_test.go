package e2e

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A copy to NAME:SHARE/path sent while the member is down waits with the
// mailbox and lands in the share when the member comes back, if its
// access list lets the sender write; into a read-only share it fails
// with the member's reason.
func TestCopyIntoShareThroughMailbox(t *testing.T) {
	t.Parallel()
	alpha, mbox, bravo := spoolGroup(t)
	docs, pub := t.TempDir(), t.TempDir()
	bravo.MustRun("share", "add", "docs", docs, "--allow", "*=ro", "--allow", "alpha=rw")
	bravo.MustRun("share", "add", "pub", pub)
	bravo.Stop()

	data := make([]byte, 1<<20+3)
	rand.Read(data)
	src := filepath.Join(t.TempDir(), "payload.bin")
	os.WriteFile(src, data, 0o644)
	alpha.MustRun("copy", src, "bravo:docs/in")
	alpha.MustRun("copy", src, "bravo:pub")
	if _, err := alpha.Run("copy", src, "bravo:docs/../x"); err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Fatalf("copy to a climbing path: %v", err)
	}
	waitJobs(t, alpha, 20*time.Second, "deposited")

	bravo.Start()
	bravo.MustRun("connect", mbox.TCPAddr())
	Eventually(t, 30*time.Second, func() error {
		var jobs []spoolJob
		alpha.JSON(&jobs, "queue")
		states := map[string]spoolJob{}
		for _, j := range jobs {
			states[j.State] = j
		}
		if len(jobs) != 2 || states["delivered"].ID == "" || states["failed"].ID == "" {
			return fmt.Errorf("jobs %+v", jobs)
		}
		if r := states["failed"].Error; !strings.Contains(r, "bravo's share pub is read-only for you") {
			return fmt.Errorf("failure reason %q", r)
		}
		return nil
	})
	got, err := os.ReadFile(filepath.Join(docs, "in", "payload.bin"))
	if err != nil || sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("file in the share differs: %v", err)
	}
	if ents, _ := os.ReadDir(pub); len(ents) != 0 {
		t.Fatalf("read-only share got %d entries", len(ents))
	}

	// With bravo reachable, the right is checked before anything is queued.
	alpha.MustRun("connect", bravo.TCPAddr())
	if _, err := alpha.Run("copy", src, "bravo:pub"); err == nil || !strings.Contains(err.Error(), "bravo's share pub is read-only for you") {
		t.Fatalf("copy into a read-only share of a reachable member: %v", err)
	}
	if _, err := alpha.Run("copy", src, "bravo:nosuch"); err == nil || !strings.Contains(err.Error(), `no share "nosuch"`) {
		t.Fatalf("copy into a missing share of a reachable member: %v", err)
	}
	var jobs []spoolJob
	alpha.JSON(&jobs, "queue")
	if len(jobs) != 2 {
		t.Fatalf("refused copies left jobs: %+v", jobs)
	}
}
