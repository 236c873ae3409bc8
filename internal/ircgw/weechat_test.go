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

// TestRealClientWeeChat drives WeeChat (weechat-headless, an IRCv3
// client) against the gateway: it negotiates CAP 302 and logs in with
// SASL PLAIN (the token as password), joins, gets the room's earlier
// message in the playback, says something bob's client receives, and
// logs bob's answer. It takes extended-join and account-notify, asks the
// channel's members with WHOX (the wire is checked through a relay:
// wireTap), and its notify list of bob and carol goes out as MONITOR:
// bob connected, carol offline, then connected when she comes online.
func TestRealClientWeeChat(t *testing.T) {
	if _, err := exec.LookPath("weechat-headless"); err != nil {
		t.Skip("weechat-headless is not installed (apt-get install weechat-headless; scripts/test.sh installs it when run as root)")
	}
	sa, bob, tn := realClientRoom(t, "", "said before weechat came", true)
	var out testutil.SyncBuffer
	tap, wire := wireTap(t, sa.Addr())

	host, port, err := net.SplitHostPort(tap)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmds := strings.Join([]string{
		"/set logger.file.flush_delay 0",
		"/set logger.file.auto_log on",
		"/set irc.look.temporary_servers on",
		fmt.Sprintf("/server add peer %s/%s -notls -nicks=alice -sasl_mechanism=plain -sasl_username=alice -sasl_password=%s", host, port, testToken),
		`/set irc.server.peer.command "/msg #general hello from weechat"`,
		"/notify add bob peer",
		"/notify add carol peer",
		"/connect peer",
	}, ";")
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "weechat-headless", "--dir", dir, "--stdout", "-r", cmds)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("weechat output:\n%s\nthe wire:\n%s", out.String(), wire.String())
			logs, _ := filepath.Glob(filepath.Join(dir, "logs", "*"))
			for _, p := range logs {
				b, _ := os.ReadFile(p)
				t.Logf("%s:\n%s", p, b)
			}
		}
	})

	// WeeChat runs its command after 001; the gateway joined it to
	// #general (a room of alice's node) during registration.
	if m := bob.untilText("hello from weechat"); m.Param(0) != "#general" || !strings.HasPrefix(m.Source, "alice!") {
		t.Fatalf("bob got %v", m)
	}
	bob.send("PRIVMSG #general :hi weechat")
	logFile := filepath.Join(dir, "logs", "irc.peer.#general.weechatlog")
	testutil.Eventually(t, 20*time.Second, func() error {
		b, err := os.ReadFile(logFile)
		if err != nil {
			return err
		}
		// bob is +bob: present (voiced). WeeChat's own line went out
		// before its channel buffer existed (no echo-message in 3.8).
		for _, want := range []string{"+bob\tsaid before weechat came", "+bob\thi weechat"} {
			if !strings.Contains(string(b), want) {
				return fmt.Errorf("%s lacks %q", logFile, want)
			}
		}
		return nil
	})
	// WHOX: with account-notify on and WHOX advertised, WeeChat asks
	// the channel's members with their accounts after joining (its
	// fields, in WHOX's order: channel user host server nick flags hops
	// account realname). WeeChat shows nothing of a WHOX answer it
	// asked, right or wrong: the wire is what is checked.
	testutil.Eventually(t, 20*time.Second, func() error {
		w := wire.String()
		for _, want := range []string{
			"<< CAP REQ :account-notify away-notify cap-notify extended-join invite-notify message-tags multi-prefix sasl server-time userhost-in-names",
			">> :alice!alice@peerhood JOIN #general alice :alice of home",
			// userhost-in-names (WeeChat asks for it): nick!user@host
			// after the prefixes; the nicklist shows the nicks alone.
			">> :peerhood 353 alice = #general :@+alice!alice@peerhood +bob!bob@peerhood",
			"<< WHO #general %cuhsnfdar",
			">> :peerhood 354 alice #general bob peerhood peerhood bob H+ 0 bob :bob of home",
			">> :peerhood 315 alice #general :End of /WHO list",
		} {
			if !strings.Contains(w, want+"\r\n") {
				return fmt.Errorf("the wire lacks %q", want)
			}
		}
		return nil
	})
	// MONITOR: WeeChat's notify list goes out as MONITOR + (MONITOR is
	// in 005); bob is online, carol offline until she comes.
	serverLog := filepath.Join(dir, "logs", "irc.server.peer.weechatlog")
	testutil.Eventually(t, 20*time.Second, func() error {
		if b, _ := os.ReadFile(serverLog); !strings.Contains(string(b), "notify: carol is offline") {
			return fmt.Errorf("%s lacks carol's first state", serverLog)
		}
		return nil
	})
	tn.net.SetPresence("carol", Online, "")
	testutil.Eventually(t, 20*time.Second, func() error {
		b, _ := os.ReadFile(serverLog)
		for _, want := range []string{"notify: bob (bob@peerhood) is connected", "notify: carol (carol@peerhood) has connected"} {
			if !strings.Contains(string(b), want) {
				return fmt.Errorf("%s lacks %q:\n%s", serverLog, want, b)
			}
		}
		return nil
	})
	for _, want := range []string{"<< MONITOR + bob,carol", ">> :peerhood 730 alice bob!bob@peerhood", ">> :peerhood 731 alice carol", ">> :peerhood 730 alice carol!carol@peerhood"} {
		if !strings.Contains(wire.String(), want+"\r\n") {
			t.Errorf("the wire lacks %q", want)
		}
	}
	// SASL was used: the gateway answered 903 (WeeChat logs it in the
	// server buffer).
	testutil.Eventually(t, 10*time.Second, func() error {
		b, _ := os.ReadFile(filepath.Join(dir, "logs", "irc.server.peer.weechatlog"))
		if !strings.Contains(string(b), "SASL authentication successful") {
			return fmt.Errorf("no SASL success in the server log")
		}
		return nil
	})
}
