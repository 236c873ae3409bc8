package e2e

import (
	"bufio"
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
)

// ircAddr is n's IRC gateway address from `status --json`.
func ircAddr(t *testing.T, n *Node) string {
	t.Helper()
	var st struct {
		IRC string `json:"irc"`
	}
	n.JSON(&st, "status")
	if st.IRC == "" {
		t.Fatalf("%s's status shows no IRC gateway", n.Name)
	}
	return st.IRC
}

// nodeToken is n's loopback token (the IRC PASS).
func nodeToken(t *testing.T, n *Node) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(n.Home, "webdav.token"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// waitFile waits until file p holds text.
func waitFile(t *testing.T, p, text string) {
	t.Helper()
	Eventually(t, 30*time.Second, func() error {
		b, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(b), text) {
			return fmt.Errorf("%s holds no %q (%v): %s", p, text, err, b)
		}
		return nil
	})
}

// iiWrite writes a line to one of ii's FIFOs.
func iiWrite(t *testing.T, p, line string) {
	t.Helper()
	Eventually(t, 30*time.Second, func() error {
		f, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.WriteString(line + "\n")
		return err
	})
}

// Two real nodes, each with its IRC gateway: ii (a real IRC client) on
// alpha's talks in a room and reads its earlier message, bravo's raw IRC
// client hears it, and what bravo says reaches ii; bravo's history (the
// CLI) has ii's message.
func TestIRCClients(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ii"); err != nil {
		t.Skip("ii is not installed (apt-get install ii; scripts/test.sh installs it when run as root)")
	}
	alpha := NewNode(t, "alpha")
	alpha.Env = []string{"PEERHOOD_IRC_ADDR=127.0.0.1:0"}
	alpha.Start("--log-level", "debug")
	bravo := NewNode(t, "bravo")
	bravo.Env = []string{"PEERHOOD_IRC_ADDR=127.0.0.1:0"}
	bravo.Start("--log-level", "debug")
	createWorkgroup(t, "office", alpha, bravo)
	bravo.MustRun("connect", alpha.TCPAddr())
	alpha.MustRun("room", "create", "general")
	EventuallyDiag(t, 30*time.Second, func() error {
		out, err := bravo.Run("room", "ls")
		if err != nil || !strings.Contains(out, "#general") {
			return fmt.Errorf("bravo's rooms: %q %v", out, err)
		}
		return nil
	}, func() string {
		return "\nALPHA:\n" + alpha.Output() + "\nBRAVO:\n" + bravo.Output()
	})
	bravo.MustRun("room", "join", "general")
	bravo.MustRun("say", "general", "said before ii came")
	Eventually(t, 30*time.Second, func() error { return hasText(alpha, "general", "said before ii came") })

	// bravo's raw IRC client.
	conn, err := net.Dial("tcp", ircAddr(t, bravo))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	fmt.Fprintf(conn, "PASS %s\r\nNICK b\r\nUSER b 0 * :b\r\n", nodeToken(t, bravo))
	heard := make(chan string, 64)
	go func() {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				close(heard)
				return
			}
			heard <- strings.TrimRight(line, "\r\n")
		}
	}()

	// ii on alpha's gateway.
	host, port, err := net.SplitHostPort(ircAddr(t, alpha))
	if err != nil {
		t.Fatal(err)
	}
	prefix := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ii := exec.CommandContext(ctx, "ii", "-s", host, "-p", port, "-n", "alpha", "-k", "IIPASS", "-i", prefix)
	ii.Env = append(os.Environ(), "IIPASS="+nodeToken(t, alpha))
	if err := ii.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = ii.Wait() }()
	dir := filepath.Join(prefix, host)
	// alpha's node is in #general: the gateway joins ii to it and plays
	// back what was said before.
	waitFile(t, filepath.Join(dir, "#general", "out"), "<bravo> said before ii came")
	iiWrite(t, filepath.Join(dir, "#general", "in"), "hello from ii")
	deadline := time.After(30 * time.Second)
	for got := false; !got; {
		select {
		case l, ok := <-heard:
			if !ok {
				t.Fatal("bravo's IRC connection closed")
			}
			got = strings.HasPrefix(l, ":alpha!") && strings.HasSuffix(l, "PRIVMSG #general :hello from ii")
		case <-deadline:
			t.Fatal("bravo's IRC client did not hear ii")
		}
	}
	fmt.Fprintf(conn, "PRIVMSG #general :hi ii\r\n")
	waitFile(t, filepath.Join(dir, "#general", "out"), "<bravo> hi ii")
	Eventually(t, 30*time.Second, func() error { return hasText(bravo, "general", "hello from ii") })
}
