package ircgw

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

// TestRealClientIrssi drives irssi (1.4, in a pseudo-terminal made by
// script(1)) against the gateway: it logs in with PASS, asks for a nick
// that is not the member's and takes the member's from 001, sets its
// usermode +i at connect (answered with a MODE line), is joined to the
// room with the playback, says something bob's client receives, and
// logs bob's answer, then syncs the channel with WHOX (after extended-join
// and account-notify). Skips when irssi or script is missing.
func TestRealClientIrssi(t *testing.T) {
	for _, bin := range []string{"irssi", "script"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed (apt-get install irssi)", bin)
		}
	}
	sa, bob, _ := realClientRoom(t, "", "said before irssi came", true)

	host, port, err := net.SplitHostPort(sa.Addr())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	config := fmt.Sprintf(`servers = (
  { address = "%s"; chatnet = "peer"; port = "%s"; password = "%s"; use_tls = "no"; autoconnect = "yes"; }
);
chatnets = { peer = { type = "IRC"; autosendcmd = "/msg #general hello from irssi"; }; };
settings = {
  core = { nick = "zed"; user_name = "zed"; real_name = "Zed"; };
  "fe-common/core" = { autolog = "yes"; autolog_path = "%s/logs/$tag/$0.log"; };
  "irc/core" = { usermode = "+i"; };
};
`, host, port, testToken, dir)
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	var screen testutil.SyncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "script", "-qfec", "irssi --home="+dir, "/dev/null")
	cmd.Env = append(os.Environ(), "TERM=xterm", "COLUMNS=120", "LINES=40")
	cmd.Stdout, cmd.Stderr = &screen, &screen
	stdin, err := cmd.StdinPipe() // kept open: irssi runs until the test ends
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = stdin.Write([]byte("/rawlog save " + dir + "/logs/peer/raw\r")) // the wire, shown on failure
		time.Sleep(500 * time.Millisecond)
		_, _ = stdin.Write([]byte("/quit\r"))
		time.Sleep(200 * time.Millisecond)
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			logs, _ := filepath.Glob(filepath.Join(dir, "logs", "*", "*"))
			for _, p := range logs {
				b, _ := os.ReadFile(p)
				t.Logf("%s:\n%s", p, b)
			}
		}
	})

	if m := bob.untilText("hello from irssi"); m.Param(0) != "#general" || !strings.HasPrefix(m.Source, "alice!") {
		t.Fatalf("bob got %v", m)
	}
	bob.send("PRIVMSG #general :hi irssi")
	logFile := filepath.Join(dir, "logs", "peer", "#general.log")
	testutil.Eventually(t, 20*time.Second, func() error {
		b, err := os.ReadFile(logFile)
		if err != nil {
			return err
		}
		for _, want := range []string{"<+bob> said before irssi came", "<+bob> hi irssi"} {
			if !strings.Contains(string(b), want) {
				return fmt.Errorf("%s lacks %q:\n%s", logFile, want, b)
			}
		}
		return nil
	})
	// irssi syncs the channel (MODE, WHOX as WHO #general
	// %tcuhnfdar,743, the ban list) some 10 s after joining; the sync
	// ends once the WHOX answer's 315 is read.
	testutil.Eventually(t, 40*time.Second, func() error {
		if b, _ := os.ReadFile(logFile); !strings.Contains(string(b), "Join to #general was synced") {
			return fmt.Errorf("%s: the channel is not synced:\n%s", logFile, b)
		}
		return nil
	})
	// The wire, from irssi's rawlog: its "MODE zed +i"-style usermode
	// request, sent to the nick 001 gave, was answered with the change;
	// its WHOX request with 354s carrying its token and its fields.
	raw := filepath.Join(dir, "raw")
	if _, err := stdin.Write([]byte("/rawlog save " + raw + "\r")); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		b, err := os.ReadFile(raw)
		if err != nil {
			return err
		}
		for _, want := range []string{"<< MODE alice +i", ">> :alice!alice@peerhood MODE alice +i",
			"<< CAP REQ :multi-prefix extended-join invite-notify away-notify account-notify server-time",
			">> :alice!alice@peerhood JOIN #general alice :alice of home",
			"<< WHO #general %tcuhnfdar,743",
			">> :peerhood 354 alice 743 #general bob peerhood bob H+ 0 bob :bob of home",
			">> :peerhood 315 alice #general :End of /WHO list"} {
			if !strings.Contains(string(b), want) {
				return fmt.Errorf("irssi's rawlog lacks %q:\n%s", want, b)
			}
		}
		return nil
	})
}
