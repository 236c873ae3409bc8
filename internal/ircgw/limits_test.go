package ircgw

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

// TestMalformedLines: a line over the limit is 417 and the connection
// goes on; a line that does not parse is a FAIL (one whose command word
// is not letters or 3 digits is an unknown command, 421); empty lines are
// ignored; a line may end with LF alone.
func TestMalformedLines(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, nil)
	c := dial(t, s)
	c.register("standard-replies") // FAIL; a client without it gets a NOTICE (TestStandardRepliesOnlyWithTheCap)
	cases := []struct {
		name, raw, want string
	}{
		{"too long", "PRIVMSG #x :" + strings.Repeat("a", MaxRead+10) + "\r\n", "417"},
		{"NUL", "PRIVMSG #x :a\x00b\r\n", "FAIL"},
		{"bad command", "PRIV-MSG x\r\n", "421"}, // s16: an unknown command (was FAIL INVALID_LINE)
		{"bad tag key: dropped", "@=x;a_b=1 PING a\r\n", "PONG"},
		{"empty tag section", "@ PING a\r\n", "FAIL"},
		{"client tags over 4094 bytes", "@+a=" + strings.Repeat("b", 4092) + " PING a\r\n", "417"},
		{"client tags of 4094 bytes", "@+a=" + strings.Repeat("b", 4091) + " PING a\r\n", "PONG"},
		{"source only", ":src\r\n", "FAIL"},
		{"LF only", "PING lf\n", "PONG"},
		{"empty lines", "\r\n\r\n \r\nPING e\r\n", "PONG"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := io.WriteString(c.conn, tc.raw); err != nil {
				t.Fatal(err)
			}
			if got := c.until(tc.want); len(got) != 1 {
				t.Errorf("lines before %s: %s", tc.want, dump(got))
			}
			c.send("PING :alive")
			c.until("PONG")
		})
	}
}

// TestFlood: a client over its line budget is disconnected.
func TestFlood(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, func(c *Config) { c.FloodBurst, c.FloodEvery = 10, time.Hour })
	c := dial(t, s)
	c.register() // 3 lines
	var b strings.Builder
	for i := range 20 {
		fmt.Fprintf(&b, "PING %d\r\n", i)
	}
	if _, err := io.WriteString(c.conn, b.String()); err != nil {
		t.Fatal(err)
	}
	got := c.closed()
	pongs := 0
	for _, l := range got {
		if l.Command == "PONG" {
			pongs++
		}
	}
	last := got[len(got)-1]
	if pongs != 7 || last.Command != "ERROR" || !strings.Contains(last.Param(0), "Excess Flood") {
		t.Fatalf("%d PONGs, last %v; want 7 then ERROR Excess Flood", pongs, last)
	}
}

// TestSlowClient: a client that does not read is disconnected when its
// write queue overflows, and the others go on.
func TestSlowClient(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.alice.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	s := startGateway(t, tn.alice, func(c *Config) { c.WriteQueue = 40 })
	// net.Pipe has no buffer: what the server writes waits for a read.
	mine, theirs := net.Pipe()
	t.Cleanup(func() { mine.Close() })
	s.serveConn(theirs)
	slow := &ircClient{t: t, conn: mine, r: bufio.NewReader(mine)}
	slow.register()
	fast := dial(t, s)
	fast.register()
	fast.until("366")
	// slow stops reading; 100 messages overflow its queue of 40.
	// Posted in steps of 10 that the fast client reads: its queue never
	// holds more than 10.
	for i := range 100 {
		if _, err := tn.net.Post("wg-home", "general", "bob", fmt.Sprintf("x%d", i)); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			fast.untilText(fmt.Sprintf("x%d", i))
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		n := len(s.clients)
		s.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d clients; the slow one was not disconnected", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	fast.send("PING :still")
	fast.until("PONG")
}

// TestPingTimeout: a quiet client is pinged; one that does not answer is
// disconnected.
func TestPingTimeout(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, func(c *Config) { c.PingInterval, c.PingTimeout = 50*time.Millisecond, 50*time.Millisecond })
	c := dial(t, s)
	c.register()
	got := c.until("PING")
	c.send("PONG :" + got[len(got)-1].Param(0))
	c.until("PING")
	got = c.closed()
	if last := got[len(got)-1]; last.Command != "ERROR" || !strings.Contains(last.Param(0), "Ping timeout") {
		t.Fatalf("last line %v, want ERROR Ping timeout", last)
	}
}

// TestConfig: "off" listens nowhere; an address off the loopback and a
// missing token are refused.
func TestConfig(t *testing.T) {
	tn := newTestNet(t)
	s, err := New(Config{Addr: Off, Backend: tn.alice})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil || s.Addr() != "" {
		t.Fatalf("off: %v %q", err, s.Addr())
	}
	_ = s.Close()
	if _, err := New(Config{Addr: "127.0.0.1:0", Backend: tn.alice}); err == nil {
		t.Error("no token accepted")
	}
	s, err = New(Config{Addr: "0.0.0.0:0", Token: "t", Backend: tn.alice})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err == nil {
		_ = s.Close()
		t.Error("listening beyond the loopback")
	}
	t.Setenv(AddrEnv, "127.0.0.1:7000")
	if a := ResolveAddr("127.0.0.1:6000"); a != "127.0.0.1:7000" {
		t.Errorf("env does not win: %s", a)
	}
	t.Setenv(AddrEnv, "")
	if a := ResolveAddr(""); a != DefaultAddr {
		t.Errorf("default: %s", a)
	}
}

// TestHostileCommands: every command with odd parameters leaves the
// connection (and the server) working.
func TestHostileCommands(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.alice.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	var logs testutil.SyncBuffer
	s := startGateway(t, tn.alice, func(c *Config) {
		c.FloodBurst = 1 << 20
		c.Log = slog.New(slog.NewTextHandler(&logs, nil))
	})
	c := dial(t, s)
	c.register("sasl", "batch", "message-tags", "server-time", "draft/chathistory", "echo-message")
	cmds := []string{"JOIN", "PART", "TOPIC", "NAMES", "MODE", "WHO", "WHOIS", "AWAY", "PRIVMSG", "NOTICE",
		"LIST", "CHATHISTORY", "ISON", "TAGMSG", "CAP", "NICK", "USER", "PASS", "AUTHENTICATE", "PING", "PONG",
		"WHOWAS", "HELP", "HELPOP", "INFO", "ADMIN", "LINKS", "STATS", "OPER", "KILL", "USERS", "INVITE", "KICK"}
	params := []string{"", " :", " #", " #@", " #general@", " #@lab", " /", " bob/", " /lab", " *", " ,,,", " #general,#general",
		" :\x01VERSION\x01", " #general :\x01ACTION waves\x01", " 0", " LATEST", " LATEST #general", " BETWEEN #general * *",
		" AROUND #general msgid=~ 5", " AFTER bob timestamp=nope 5", " #general -b", " #general +o bob",
		" " + strings.Repeat("x", 400), " a b c d e f g h i j k l m n o p q"}
	for _, cmd := range cmds {
		for _, p := range params {
			c.send(cmd + p)
		}
		c.send("PING :after-" + cmd)
		for {
			got := c.until("PONG")
			if got[len(got)-1].Param(1) == "after-"+cmd {
				break
			}
		}
	}
	// Every reply was a well-formed line.
	if strings.Contains(logs.String(), "line not sent") {
		t.Errorf("the server made lines it could not send:\n%s", logs.String())
	}
}

// TestCloseWithStuckClient: Close returns although a client never reads
// (its writer is blocked): after a grace period it is cut off.
func TestCloseWithStuckClient(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.alice.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	s := startGateway(t, tn.alice, func(c *Config) { c.WriteTimeout = time.Hour })
	mine, theirs := net.Pipe()
	t.Cleanup(func() { mine.Close() })
	s.serveConn(theirs)
	stuck := &ircClient{t: t, conn: mine, r: bufio.NewReader(mine)}
	stuck.register()
	if _, err := tn.net.Post("wg-home", "general", "bob", "never read"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close hangs on a client that does not read")
	}
}
