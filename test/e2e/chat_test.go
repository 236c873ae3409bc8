package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

type chatMessage struct {
	ID, Room, Peer, Author, Kind, Text string
}

// history is n's `history TARGET --json`.
func history(n *Node, target string) ([]chatMessage, error) {
	out, err := n.Run("--json", "history", target)
	if err != nil {
		return nil, err
	}
	var ms []chatMessage
	return ms, jsonUnmarshal(out, &ms)
}

// hasText checks that n's history of target holds exactly one message
// with text.
func hasText(n *Node, target, text string) error {
	ms, err := history(n, target)
	if err != nil {
		return err
	}
	k := 0
	for _, m := range ms {
		if m.Text == text {
			k++
		}
	}
	if k != 1 {
		return fmt.Errorf("%s's history of %s holds %q %d times: %v", n.Name, target, text, k, ms)
	}
	return nil
}

// Two real nodes: a room created by one is joined by the other; say,
// msg, the line-mode chat view (standard input) and history work between
// them, each message once; then the rest of the chat CLI (checkChatCLI).
func TestChatSayHistory(t *testing.T) {
	fake, notified := fakeNotifySend(t)
	alpha, bravo := StartNode(t, "alpha"), StartNode(t, "bravo", "PATH="+fake+":"+os.Getenv("PATH"))
	createWorkgroup(t, "office", alpha, bravo)
	bravo.MustRun("connect", alpha.TCPAddr())
	alpha.MustRun("room", "create", "general", "--topic", "all of us")
	Eventually(t, 30*time.Second, func() error {
		out, err := bravo.Run("room", "ls")
		if err != nil || !strings.Contains(out, "#general") {
			return fmt.Errorf("bravo's rooms: %q %v", out, err)
		}
		return nil
	})
	bravo.MustRun("room", "join", "general")
	alpha.MustRun("say", "general", "hello", "there")
	bravo.MustRun("say", "general", "hi alpha")
	alpha.MustRun("msg", "bravo", "psst")
	for _, c := range []struct {
		n            *Node
		target, text string
	}{
		{bravo, "general", "hello there"}, {alpha, "general", "hi alpha"}, {bravo, "@alpha", "psst"},
	} {
		Eventually(t, 30*time.Second, func() error { return hasText(c.n, c.target, c.text) })
	}
	if out := bravo.MustRun("history", "general"); !said(out, "alpha", "hello there") {
		t.Fatalf("bravo's history: %q", out)
	}
	// room who: the room's members with their presence.
	Eventually(t, 30*time.Second, func() error {
		out, err := bravo.Run("room", "who", "general")
		if err != nil || !strings.Contains(out, "alpha (online)") || !strings.Contains(out, "bravo (online)") {
			return fmt.Errorf("bravo's room who: %q %v", out, err)
		}
		return nil
	})

	// The chat view: bravo types a line; alpha's history gets it.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--home", bravo.Home, "chat", "general")
	cmd.Env = append(os.Environ(), "PEERHOOD_HOME=")
	cmd.Stdin = strings.NewReader("typed in the view\n/quit\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("chat view: %v: %s", err, out)
	}
	if !said(string(out), "alpha", "hello there") || !strings.Contains(string(out), "#general:") {
		t.Fatalf("chat view printed %q", out)
	}
	Eventually(t, 30*time.Second, func() error { return hasText(alpha, "general", "typed in the view") })
	checkChatCLI(t, alpha, bravo, notified)
}

// said reports whether a chat listing holds the line "<who (STATE)> text":
// the author with its presence (online, away, busy or offline) next to
// its name.
func said(out, who, text string) bool {
	for _, st := range []string{"online", "away", "busy", "offline"} {
		if strings.Contains(out, "<"+who+" ("+st+")> "+text) {
			return true
		}
	}
	return false
}
