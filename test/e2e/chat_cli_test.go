package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runIn runs a CLI command against n with stdin.
func runIn(n *Node, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--home", n.Home}, args...)...)
	cmd.Env = append(os.Environ(), "PEERHOOD_HOME=")
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("peerhood %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// fakeNotifySend writes a notify-send into a new folder that records
// its arguments in the file it returns.
func fakeNotifySend(t *testing.T) (dir, record string) {
	dir = t.TempDir()
	record = filepath.Join(dir, "notified")
	script := "#!/bin/sh\nprintf '%s|' \"$@\" >> " + record + "\n"
	if err := os.WriteFile(filepath.Join(dir, "notify-send"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, record
}

// checkChatCLI walks the chat commands of issue #13 on two real nodes
// (alpha and bravo share room general; bravo's PATH has a notify-send
// that records what it shows): say from standard input, room topic and
// ls, history --since/--json/--search, unread, alert (notify-send on
// bravo, the ALERT log line on alpha, which has none), a mention that
// pops up, an attachment
// linked to bravo's copy and saved with `save`, and clear errors for an
// unknown room or member, an over-size message and a room bravo may not
// enter.
func checkChatCLI(t *testing.T, alpha, bravo *Node, notified string) {
	if _, err := runIn(alpha, "from a pipe\n", "say", "general"); err != nil {
		t.Fatal(err)
	}
	alpha.MustRun("room", "topic", "general", "the new topic")
	Eventually(t, 30*time.Second, func() error {
		if err := hasText(bravo, "general", "from a pipe"); err != nil {
			return err
		}
		if out, _ := bravo.Run("room", "ls"); !strings.Contains(out, "the new topic") {
			return fmt.Errorf("bravo's room ls: %q", out)
		}
		return nil
	})
	if out := bravo.MustRun("unread"); !strings.Contains(out, "#general") {
		t.Errorf("bravo's unread: %q", out)
	}
	if out := bravo.MustRun("history", "general", "--since", "1h", "--search", "pipe"); !said(out, "alpha", "from a pipe") || strings.Contains(out, "hello there") {
		t.Errorf("history --search pipe: %q", out)
	}
	if out := bravo.MustRun("unread"); strings.Contains(out, "#general") {
		t.Errorf("history did not mark general read: %q", out)
	}
	// Saying in a room left joins it again (else bravo would not get the
	// answers: the attachment below).
	bravo.MustRun("room", "leave", "general")
	if out := bravo.MustRun("room", "ls"); !strings.Contains(out, "#general") {
		t.Errorf("room ls after leave: %q", out)
	}
	bravo.MustRun("say", "general", "back again")
	Eventually(t, 30*time.Second, func() error { return hasText(alpha, "general", "back again") })
	// A bare name that is no room is the member (as in the chat view).
	var dm []chatMessage
	bravo.JSON(&dm, "history", "alpha")
	if len(dm) == 0 || dm[0].Peer != "alpha" {
		t.Errorf("history alpha (a member): %+v", dm)
	}

	alpha.MustRun("alert", "bravo", "fire drill")
	bravo.MustRun("alert", "alpha", "drill over")
	Eventually(t, 30*time.Second, func() error {
		if b, _ := os.ReadFile(notified); !strings.Contains(string(b), "peerhood: alpha|fire drill|") {
			return fmt.Errorf("bravo's notify-send got %q", b)
		}
		if !strings.Contains(alpha.Output(), "ALERT") || !strings.Contains(alpha.Output(), "drill over") {
			return fmt.Errorf("alpha (no notify-send) logged no ALERT")
		}
		return hasText(bravo, "@alpha", "fire drill")
	})

	checkAttachCLI(t, alpha, bravo)

	// A mention pops up too (one pop-up per author every 2 s: wait out
	// the alert's).
	time.Sleep(2 * time.Second)
	alpha.MustRun("say", "general", "hey @bravo look")
	Eventually(t, 30*time.Second, func() error {
		if b, _ := os.ReadFile(notified); !strings.Contains(string(b), "peerhood: alpha in #general|hey @bravo look|") {
			return fmt.Errorf("bravo's notify-send got %q", b)
		}
		return nil
	})

	alpha.MustRun("room", "create", "secret", "--allow", "alpha")
	Eventually(t, 30*time.Second, func() error {
		out, _ := bravo.Run("room", "ls")
		if !strings.Contains(out, "#secret") {
			return fmt.Errorf("bravo's room ls: %q", out)
		}
		return nil
	})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"say", "nowhere", "x"}, "nowhere"},
		{[]string{"msg", "nobody", "x"}, "nobody"},
		{[]string{"history", "nowhere"}, "nowhere"},
		{[]string{"room", "join", "nowhere"}, "nowhere"},
		{[]string{"say", "general", strings.Repeat("x", 16<<10+1)}, "16"},
		{[]string{"say", "secret", "let me in"}, "secret"},
		{[]string{"room", "join", "secret"}, "secret"},
		{[]string{"history", "secret"}, "secret"},
		{[]string{"room", "topic", "secret", "mine now"}, "secret"},
		{[]string{"save", "0123456789"}, "0123456789"},
	} {
		out, err := bravo.Run(tc.args...)
		t.Logf("bravo %.40v: %v", tc.args, err)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("bravo %.60v: %v (output %q), want an error naming %q", tc.args, err, out, tc.want)
		}
	}
}

// checkAttachCLI: alpha says with a file attached; bravo's history names
// its copy and `save ID DIR` writes it there.
func checkAttachCLI(t *testing.T, alpha, bravo *Node) {
	src := filepath.Join(t.TempDir(), "plan.txt")
	if err := os.WriteFile(src, []byte("the plan"), 0o644); err != nil {
		t.Fatal(err)
	}
	alpha.MustRun("say", "general", "--attach", src, "see the plan")
	var id string
	Eventually(t, 60*time.Second, func() error {
		out, err := bravo.Run("history", "general", "--ids")
		if err != nil {
			return err
		}
		for _, l := range strings.Split(out, "\n") {
			if said(l, "alpha", "see the plan") {
				id = strings.Fields(l)[3]
			}
		}
		if !strings.Contains(out, "plan.txt") || !strings.Contains(out, "from alpha: peerhood save") {
			return fmt.Errorf("bravo's history does not link the copy: %q", out)
		}
		return nil
	})
	// The inbox side names the message the copy belongs to.
	if out := bravo.MustRun("inbox"); !strings.Contains(out, "(for chat message "+id+" in #general from alpha)") {
		t.Errorf("bravo's inbox does not name message %s: %q", id, out)
	}
	dest := t.TempDir()
	out := bravo.MustRun("save", id, dest)
	if b, err := os.ReadFile(filepath.Join(dest, "plan.txt")); err != nil || string(b) != "the plan" || !strings.Contains(out, dest) {
		t.Fatalf("save %s %s: printed %q; file %q, %v", id, dest, out, b, err)
	}
	if out := bravo.MustRun("history", "general"); !strings.Contains(out, "at "+filepath.Join(dest, "plan.txt")) {
		t.Errorf("history after save: %q", out)
	}
}
