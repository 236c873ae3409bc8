package ircgw

import (
	"slices"
	"strings"
	"testing"
)

// TestRegistration: the token is required, as PASS or SASL PLAIN; the
// nick is the member's name whatever the client asked.
func TestRegistration(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, nil)
	long := saslPlain(strings.Repeat("u", 293), testToken) // 800 bytes: two full chunks
	if len(long) != 800 {
		t.Fatalf("long SASL payload of %d bytes", len(long))
	}
	cases := []struct {
		name   string
		lines  []string
		want   []string // commands expected, in order, among those read
		closed bool
	}{
		{"pass", []string{"PASS " + testToken, "NICK zed", "USER u 0 * :r"}, []string{"001", "002", "003", "004", "005", "005", "375", "376"}, false},
		{"no pass", []string{"NICK zed", "USER u 0 * :r"}, []string{"464", "ERROR"}, true},
		{"bad pass", []string{"PASS nope", "NICK zed", "USER u 0 * :r"}, []string{"464", "ERROR"}, true},
		{"sasl", []string{"CAP LS 302", "CAP REQ :sasl", "AUTHENTICATE PLAIN", "AUTHENTICATE " + saslPlain("alice", testToken), "NICK zed", "USER u 0 * :r", "CAP END"},
			[]string{"CAP", "CAP", "AUTHENTICATE", "900", "903", "001"}, false},
		{"sasl bad password", []string{"CAP LS 302", "CAP REQ :sasl", "AUTHENTICATE PLAIN", "AUTHENTICATE " + saslPlain("alice", "nope"), "NICK zed", "USER u 0 * :r", "CAP END"},
			[]string{"CAP", "CAP", "AUTHENTICATE", "904", "464", "ERROR"}, true},
		{"sasl other mechanism", []string{"CAP LS 302", "CAP REQ :sasl", "AUTHENTICATE EXTERNAL", "PASS " + testToken, "NICK zed", "USER u 0 * :r", "CAP END"},
			[]string{"CAP", "CAP", "908", "904", "001"}, false},
		{"sasl twice", []string{"CAP LS 302", "CAP REQ :sasl", "AUTHENTICATE PLAIN", "AUTHENTICATE " + saslPlain("alice", testToken), "AUTHENTICATE PLAIN", "NICK zed", "USER u 0 * :r", "CAP END"},
			[]string{"CAP", "CAP", "AUTHENTICATE", "900", "903", "907", "001"}, false},
		{"sasl chunk over 400 bytes", []string{"CAP LS 302", "CAP REQ :sasl", "AUTHENTICATE PLAIN", "AUTHENTICATE " + strings.Repeat("A", 401), "NICK zed", "USER u 0 * :r", "CAP END"},
			[]string{"CAP", "CAP", "AUTHENTICATE", "905", "464", "ERROR"}, true},
		{"sasl 400-byte chunks then +", []string{"CAP LS 302", "CAP REQ :sasl", "AUTHENTICATE PLAIN", "AUTHENTICATE " + long[:400], "AUTHENTICATE " + long[400:], "AUTHENTICATE +", "NICK zed", "USER u 0 * :r", "CAP END"},
			[]string{"CAP", "CAP", "AUTHENTICATE", "900", "903", "001"}, false},
		{"sasl without parameter", []string{"CAP LS 302", "CAP REQ :sasl", "AUTHENTICATE", "PASS " + testToken, "NICK zed", "USER u 0 * :r", "CAP END"},
			[]string{"CAP", "CAP", "461", "001"}, false},
		{"command before registration", []string{"JOIN #x", "PASS " + testToken, "NICK zed", "USER u 0 * :r"}, []string{"451", "001"}, false},
		{"missing params", []string{"USER u", "PASS " + testToken, "NICK zed", "USER u 0 * :r"}, []string{"461", "001"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, s)
			c.send(tc.lines...)
			var got []Line
			if tc.closed {
				got = c.closed()
			} else {
				got = c.until("376")
			}
			var cmds []string
			for _, l := range got {
				if slices.Contains(tc.want, l.Command) {
					cmds = append(cmds, l.Command)
				}
			}
			if strings.Join(cmds, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("got %v, want %v; lines: %s", cmds, tc.want, dump(got))
			}
			if !tc.closed {
				if w := mustFind(t, got, "001"); w.Param(0) != "alice" {
					t.Fatalf("001 addressed to %q, want the member name alice", w.Param(0))
				}
			}
		})
	}
}

// TestCapAndISupport: CAP LS 302 lists every capability with sasl's
// mechanisms; REQ is all or nothing; 005 carries the tokens clients use.
func TestCapAndISupport(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, nil)
	c := dial(t, s)
	c.send("CAP LS 302")
	ls := c.until("CAP")[0]
	for _, want := range []string{"sasl=PLAIN", "server-time", "echo-message", "message-tags", "away-notify", "multi-prefix", "batch", "draft/chathistory", "cap-notify",
		"account-notify", "account-tag", "extended-join", "extended-monitor"} {
		if !slices.Contains(strings.Fields(ls.Param(2)), want) {
			t.Errorf("CAP LS lacks %s: %q", want, ls.Param(2))
		}
	}
	c.send("CAP REQ :server-time bogus")
	if l := c.until("CAP")[0]; l.Param(1) != "NAK" {
		t.Fatalf("REQ with an unknown cap: %v, want NAK", l)
	}
	c.send("CAP REQ :server-time echo-message cap-notify")
	if l := c.until("CAP")[0]; l.Param(1) != "ACK" {
		t.Fatalf("REQ: %v, want ACK", l)
	}
	c.send("CAP")
	if l := c.until("461"); len(l) != 1 || l[0].Param(1) != "CAP" {
		t.Fatalf("CAP without subcommand: %s", dump(l))
	}
	c.send("CAP LIST")
	if l := c.until("CAP")[0]; l.Param(2) != "cap-notify echo-message server-time" {
		t.Fatalf("CAP LIST: %q", l.Param(2))
	}
	// Registration waits for CAP END.
	c.send("PASS "+testToken, "NICK a", "USER u 0 * :r", "PING :mark")
	if l := c.until("PONG"); len(l) != 1 {
		t.Fatalf("registered before CAP END: %s", dump(l))
	}
	c.send("CAP END")
	got := c.until("376")
	var isupport []string
	for _, l := range got {
		if l.Command == "005" {
			isupport = append(isupport, l.Params[1:len(l.Params)-1]...)
		}
	}
	for _, want := range []string{"CHANTYPES=#", "PREFIX=(ov)@+", "NETWORK=peerhood", "CASEMAPPING=ascii", "CHANMODES=b,,,nt", "CHATHISTORY=500", "MONITOR=100", "WHOX"} {
		if !slices.Contains(isupport, want) {
			t.Errorf("005 lacks %s: %v", want, isupport)
		}
	}
}

// TestNickIsFixed: NICK to another member's name is 433, to anything
// else 432; the nick stays.
func TestNickIsFixed(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, nil)
	c := dial(t, s)
	c.register()
	for _, tc := range []struct{ nick, want string }{{"bob", "433"}, {"someone", "432"}} {
		c.send("NICK "+tc.nick, "PING :x")
		got := c.until("PONG")
		if _, ok := find(got, tc.want); !ok {
			t.Errorf("NICK %s: want %s, got %s", tc.nick, tc.want, dump(got))
		}
		if _, ok := find(got, "NICK"); ok {
			t.Errorf("NICK %s changed the nick: %s", tc.nick, dump(got))
		}
	}
}
