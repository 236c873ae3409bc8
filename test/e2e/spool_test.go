package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// spoolJob and spoolItem are the parts of `queue --json` and `inbox --json` tests read.
type spoolJob struct {
	ID, To, State, Route, Error string
}

type spoolItem struct {
	ID, From, Subject, Kind, State string
	Files                          []struct{ Path string }
}

type member struct {
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
}

// spoolGroup starts alpha (admin), mbox (mailbox role) and bravo, all in
// workgroup "office", each knowing the others.
func spoolGroup(t *testing.T) (alpha, mbox, bravo *Node) {
	t.Helper()
	alpha, mbox, bravo = NewNode(t, "alpha"), NewNode(t, "mbox"), NewNode(t, "bravo")
	for _, n := range []*Node{alpha, mbox, bravo} {
		n.Env = []string{"PEERHOOD_SPOOL_FETCH_INTERVAL=1s", "PEERHOOD_SPOOL_RETRY_BASE=200ms", "PEERHOOD_SPOOL_RETRY_CAP=2s"}
		n.StartPinned()
	}
	alpha.MustRun("workgroup", "create", "office")
	tok := strings.TrimSpace(strings.SplitN(alpha.MustRun("invite", "--mailbox"), "\n", 2)[0])
	mbox.MustRun("join", tok, "--name", "mbox")
	tok = strings.TrimSpace(strings.SplitN(alpha.MustRun("invite"), "\n", 2)[0])
	bravo.MustRun("join", tok, "--name", "bravo")
	bravo.MustRun("connect", mbox.TCPAddr())
	for _, n := range []*Node{alpha, mbox, bravo} {
		Eventually(t, 20*time.Second, func() error {
			var ms []member
			n.JSON(&ms, "members")
			if len(ms) != 3 {
				return fmt.Errorf("%s sees %d members", n.Name, len(ms))
			}
			return nil
		})
	}
	return alpha, mbox, bravo
}

func waitJobs(t *testing.T, n *Node, d time.Duration, want string) []spoolJob {
	t.Helper()
	var jobs []spoolJob
	Eventually(t, d, func() error {
		n.JSON(&jobs, "queue")
		for _, j := range jobs {
			if j.State != want {
				return fmt.Errorf("job %s to %s is %s (route %s, %s), want %s", j.ID, j.To, j.State, j.Route, j.Error, want)
			}
		}
		return nil
	})
	return jobs
}

// A mail and a file sent to a member who is down wait with the mailbox
// member and reach it when it comes back; the sender sees them delivered.
func TestMailAndCopyToOfflineMemberThroughMailbox(t *testing.T) {
	t.Parallel()
	alpha, mbox, bravo := spoolGroup(t)
	_ = mbox
	bravo.Stop()

	data := make([]byte, 3<<20)
	rand.Read(data)
	src := filepath.Join(t.TempDir(), "payload.bin")
	os.WriteFile(src, data, 0o644)
	cmd := alpha.MustRun
	if out := cmd("copy", src, "bravo"); !strings.Contains(out, "queued") {
		t.Fatalf("copy: %q", out)
	}
	out, err := runStdin(alpha, "hello from alpha\n", "mail", "send", "bravo", "--subject", "greetings")
	if err != nil || !strings.Contains(out, "queued") {
		t.Fatalf("mail send: %q %v", out, err)
	}
	if _, err := alpha.Run("mail", "send", "nobody", "--subject", "x"); err == nil || !strings.Contains(err.Error(), `no member "nobody"`) {
		t.Fatalf("send to unknown member: %v", err)
	}
	jobs := waitJobs(t, alpha, 20*time.Second, "deposited")
	if len(jobs) != 2 || jobs[0].Route != "mailbox:mbox" {
		t.Fatalf("jobs %+v", jobs)
	}

	bravo.Start()
	bravo.MustRun("connect", mbox.TCPAddr())
	waitJobs(t, alpha, 30*time.Second, "delivered")
	var mails []spoolItem
	bravo.JSON(&mails, "mail", "ls")
	if len(mails) != 1 || mails[0].Subject != "greetings" || mails[0].From != "alpha" {
		t.Fatalf("bravo's mail: %+v", mails)
	}
	if body := bravo.MustRun("mail", "read", mails[0].ID[:8]); !strings.Contains(body, "hello from alpha") {
		t.Fatalf("mail read: %q", body)
	}
	var files []spoolItem
	bravo.JSON(&files, "inbox")
	if len(files) != 1 {
		t.Fatalf("bravo's inbox: %+v", files)
	}
	dest := t.TempDir()
	bravo.MustRun("inbox", "accept", files[0].ID, dest)
	got, err := os.ReadFile(filepath.Join(dest, "payload.bin"))
	if err != nil || sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("accepted file differs: %v", err)
	}
}

// runStdin runs a CLI command with the given standard input.
func runStdin(n *Node, stdin string, args ...string) (string, error) {
	cmd := exec.Command(bin, append([]string{"--home", n.Home}, args...)...)
	cmd.Env = append(os.Environ(), "PEERHOOD_HOME=")
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("peerhood %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}
