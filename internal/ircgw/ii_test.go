package ircgw

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

// iiClient is a running ii (suckless' FIFO IRC client) logged in as
// alice through the gateway.
type iiClient struct {
	t    *testing.T
	dir  string // ii's server directory: in, out and one folder per channel or query
	done chan struct{}
}

func startII(t *testing.T, s *Server, prefix string) *iiClient {
	t.Helper()
	host, port, err := net.SplitHostPort(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "ii", "-s", host, "-p", port, "-n", "alice", "-k", "IIPASS", "-i", prefix)
	cmd.Env = append(os.Environ(), "IIPASS="+testToken)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("ii output: %s", out)
		}
	})
	c := &iiClient{t: t, dir: filepath.Join(prefix, host), done: done}
	c.waitFor("out", "Welcome to the peerhood IRC gateway")
	return c
}

// write sends one line to ii's FIFO in dir (a channel or query folder;
// "" for the server).
func (c *iiClient) write(dir, line string) {
	c.t.Helper()
	p := filepath.Join(c.dir, dir, "in")
	testutil.Eventually(c.t, 15*time.Second, func() error {
		f, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.WriteString(line + "\n")
		return err
	})
}

// waitFor waits until the out file under rel holds text.
func (c *iiClient) waitFor(rel, text string) {
	c.t.Helper()
	p := filepath.Join(c.dir, rel)
	testutil.Eventually(c.t, 15*time.Second, func() error {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !strings.Contains(string(b), text) {
			return fmt.Errorf("%s holds no %q: %s", p, text, b)
		}
		return nil
	})
}

// TestRealClientII drives ii against the gateway: it connects with the
// token, joins a room and reads back what was said before it came (the
// playback on join), talks with another member's client (bob, on his
// own node's gateway) in the room and in a query, quits, and on its
// return finds what it missed.
func TestRealClientII(t *testing.T) {
	if _, err := exec.LookPath("ii"); err != nil {
		t.Skip("ii is not installed (apt-get install ii; scripts/test.sh installs it when run as root)")
	}
	sa, bob, _ := realClientRoom(t, "all hands", "said before ii came", false)

	prefix := t.TempDir()
	t.Cleanup(func() {
		if t.Failed() {
			outs, _ := filepath.Glob(filepath.Join(prefix, "*", "*", "out"))
			for _, p := range outs {
				b, _ := os.ReadFile(p)
				t.Logf("%s:\n%s", p, b)
			}
		}
	})
	ii := startII(t, sa, prefix)
	ii.write("", "/j #general")
	ii.waitFor("#general/out", "<bob> said before ii came")

	ii.write("#general", "hello from ii")
	if m := bob.untilText("hello from ii"); m.Param(0) != "#general" || !strings.HasPrefix(m.Source, "alice!") {
		t.Fatalf("bob got %v", m)
	}
	bob.send("PRIVMSG #general :hi ii", "PRIVMSG alice :a word in private")
	ii.waitFor("#general/out", "<bob> hi ii")
	ii.waitFor("bob/out", "<bob> a word in private")
	ii.write("bob", "private answer")
	if m := bob.untilText("private answer"); m.Param(0) != "bob" {
		t.Fatalf("bob's query got %v", m)
	}

	// ii quits; what bob says meanwhile is played back when it returns.
	ii.write("", "/q gone")
	select {
	case <-ii.done:
	case <-time.After(15 * time.Second):
		t.Fatal("ii did not quit")
	}
	// bob speaks at once: the gateway may not have read ii's QUIT yet
	// and write the line to the closing connection; ii never answers
	// the PING after it, so the line is not counted as seen.
	bob.send("PRIVMSG #general :said while ii was away")
	bob.send("PING :sync")
	bob.until("PONG")
	ii = startII(t, sa, prefix)
	ii.waitFor("#general/out", "<bob> said while ii was away")
	// Exactly once: what ii acknowledged (answered the PING after) is
	// not played back again.
	b, err := os.ReadFile(filepath.Join(ii.dir, "#general", "out"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"<bob> hi ii", "<bob> said while ii was away"} {
		if n := strings.Count(string(b), line); n != 1 {
			t.Errorf("%q %d times in ii's #general:\n%s", line, n, b)
		}
	}
}
