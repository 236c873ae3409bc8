package ircgw

import (
	"io"
	"slices"
	"strings"
	"testing"
)

// TestConformanceReplies: the s11 audit against modern.ircdocs.horse and
// irctest's expectations. Before: WHOWAS, HELP, INFO, ADMIN, LINKS,
// STATS, OPER, KILL were 421; WHOIS without a nick 461 (431); ISON
// without a nick an empty 303 (461); MODE nick +i silence (the MODE
// change); a line over 512 bytes without tags FAIL INVALID_LINE (417);
// INVITE alone 461 (337, the empty invite list); text that is not UTF-8
// in a TOPIC passed on as it was (UTF8ONLY); a PRIVMSG to the client's
// own nick went to chat, which refuses a direct message to oneself (now
// it comes back, as on any server).
func TestConformanceReplies(t *testing.T) {
	tn := newTestNet(t)
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register()
	c.send("JOIN #general", "PING :j")
	c.until("PONG")
	runReplies(t, tn, c, "", []replyCase{
		{"WHOWAS nobody", []string{"406", "369"}, "nobody", nil},
		{"WHOWAS bob 2", []string{"314", "312", "369"}, "bob bob peerhood *", nil},
		{"WHOWAS", []string{"431"}, "", nil},
		{"WHOIS", []string{"431"}, "", nil},
		{"ISON", []string{"461"}, "ISON", nil},
		{"HELP", []string{"704", "705", "705", "706"}, "*", nil},
		{"help privmsg", []string{"704", "706"}, "PRIVMSG", nil},
		{"HELPOP JOIN", []string{"704", "706"}, "JOIN", nil},
		{"HELP NOTACOMMAND", []string{"524"}, "NOTACOMMAND", nil},
		{"INFO", []string{"371", "371", "374"}, "", nil},
		{"INFO other.server", []string{"402"}, "other.server", nil},
		{"ADMIN", []string{"256", "257", "258", "259"}, "", nil},
		{"LINKS", []string{"364", "365"}, "", nil},
		{"STATS u", []string{"219"}, "u", nil},
		{"STATS", []string{"461"}, "", nil},
		{"OPER a b", []string{"491"}, "", nil},
		{"OPER a", []string{"461"}, "", nil},
		{"KILL bob :x", []string{"481"}, "", nil},
		{"USERS", []string{"446"}, "", nil},
		{"MODE alice +i", []string{"MODE"}, "alice +i", nil},
		{"MODE alice +i\r\nMODE alice", []string{"221"}, "+i", nil},
		{"MODE alice +ix", []string{"501"}, "", nil},
		{"MODE alice -i+w", []string{"MODE"}, "-i+w", nil},
		{"MODE ALICE", []string{"221"}, "+w", nil},
		{"INVITE", []string{"337"}, "", nil},
		{"PRIVMSG #general :" + strings.Repeat("a", 500), []string{"417"}, "", nil},
		{"TOPIC #general :caf\xe9", []string{"FAIL"}, "TOPIC INVALID_UTF8", nil}, // s16: was U+FFFD for the bad byte (TestNotUTF8)
		{"PRIVMSG #general :\xff", []string{"FAIL"}, "PRIVMSG INVALID_UTF8", nil},
		{"NOTICE #general :\xff\r\nPING :n", []string{"PONG"}, "n", nil},
		{"PRIVMSG alice,bob :a note", []string{"PRIVMSG"}, "alice a note", nil},
		{"NOTICE ALICE :\x01PING 1\x01", []string{"NOTICE"}, "alice \x01PING 1\x01", nil},
		{"NICK a,b", []string{"432"}, "", nil},
		{"NICK #chan", []string{"432"}, "", nil},
	})
}

// TestRegistrationRules: the registration variants conformance suites
// try. Before: an empty user or real name registered, NICK #bad was
// taken, a PASS after a SASL login undid it.
func TestRegistrationRules(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, nil)
	sasl := []string{"CAP LS 302", "CAP REQ :sasl", "AUTHENTICATE PLAIN", "AUTHENTICATE " + saslPlain("alice", testToken)}
	for _, tc := range []struct {
		name  string
		lines []string
		want  []string // commands expected, in order, among those in want
	}{
		{"empty real name", []string{"PASS " + testToken, "NICK zed", "USER u 0 * :", "USER u 0 * :r"}, []string{"461", "001"}},
		{"empty user name", []string{"PASS " + testToken, "NICK zed", "USER  0 * :r", "USER :", "USER u 0 * :r"}, []string{"461", "461", "001"}},
		{"bad nick then a good one", []string{"PASS " + testToken, "NICK #zed", "USER u 0 * :r", "NICK zed"}, []string{"432", "001"}},
		{"nick asked is not the member's", []string{"PASS " + testToken, "NICK zed", "USER u 0 * :r"}, []string{"001"}},
		{"nick already the member's", []string{"PASS " + testToken, "NICK alice", "USER u 0 * :r"}, []string{"001"}},
		{"user before nick", []string{"PASS " + testToken, "USER u 0 * :r", "NICK alice"}, []string{"001"}},
		{"cap end before nick and user", []string{"CAP LS", "CAP END", "PASS " + testToken, "NICK alice", "USER u 0 * :r"}, []string{"001"}},
		{"pass after sasl", append(sasl, "PASS wrong", "NICK alice", "USER u 0 * :r", "CAP END"), []string{"903", "001"}},
		{"sasl aborted", []string{"CAP LS 302", "CAP REQ :sasl", "AUTHENTICATE PLAIN", "AUTHENTICATE *", "PASS " + testToken, "NICK alice", "USER u 0 * :r", "CAP END"}, []string{"906", "001"}},
		{"cap ls 301", []string{"CAP LS", "PASS " + testToken, "NICK alice", "USER u 0 * :r", "CAP LIST", "CAP END"}, []string{"CAP", "CAP", "001"}},
		{"cap req mixed", []string{"CAP LS 302", "CAP REQ :server-time nope", "CAP REQ :server-time -batch", "CAP LIST", "PASS " + testToken, "NICK alice", "USER u 0 * :r", "CAP END"},
			[]string{"CAP", "CAP", "CAP", "CAP", "001"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, s)
			c.send(tc.lines...)
			got := c.until("376")
			var cmds []string
			for _, l := range got {
				if slices.Contains(tc.want, l.Command) {
					cmds = append(cmds, l.Command)
				}
			}
			if strings.Join(cmds, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("got %v, want %v; lines: %s", cmds, tc.want, dump(got))
			}
			if w := mustFind(t, got, "001"); w.Param(0) != "alice" {
				t.Errorf("001 addressed to %q, want the member's name", w.Param(0))
			}
			switch tc.name {
			case "cap ls 301":
				if ls := mustFind(t, got, "CAP"); strings.Contains(ls.Param(2), "=") {
					t.Errorf("CAP LS without 302 carries values: %q", ls.Param(2))
				}
				if list := got[slices.IndexFunc(got, func(l Line) bool { return l.Param(1) == "LIST" })]; list.Param(2) != "" {
					t.Errorf("CAP LIST after CAP LS without 302: %q, want none (no implied cap-notify)", list.Param(2))
				}
			case "cap req mixed":
				var caps []string
				for _, l := range got {
					if l.Command == "CAP" {
						caps = append(caps, l.Param(1)+" "+l.Param(2))
					}
				}
				// CAP LS 302 implies cap-notify (capability negotiation).
				want := []string{"LS " + ls302(), "NAK server-time nope", "ACK server-time -batch", "LIST cap-notify server-time"}
				if !slices.Equal(caps, want) {
					t.Errorf("CAP replies %q, want %q", caps, want)
				}
			}
		})
	}
}

// ls302 is the CAP LS 302 list.
func ls302() string {
	var names []string
	for _, cp := range capabilities {
		if cp.value != "" {
			names = append(names, cp.name+"="+cp.value)
		} else {
			names = append(names, cp.name)
		}
	}
	return strings.Join(names, " ")
}

// TestTagmsg: TAGMSG's client-only tags go to the node's other clients
// with message-tags in the channel, back to the sender with
// echo-message, never to a client without message-tags; its errors are
// PRIVMSG's. Before: every TAGMSG was dropped unanswered.
func TestTagmsg(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, nil)
	sender := dial(t, s)
	sender.register("message-tags", "echo-message", "server-time")
	other := dial(t, s)
	other.register("message-tags")
	plain := dial(t, s)
	plain.register()
	sender.send("JOIN #general", "PING :j")
	sender.until("PONG")
	for _, c := range []*ircClient{other, plain} {
		c.until("366")
	}
	sender.send("@+typing=active;+draft/react=\\s;label=x TAGMSG #general", "@+typing=done TAGMSG bob")
	for _, tc := range []struct {
		c    *ircClient
		want []string
	}{
		{sender, []string{"#general +typing=active +draft/react= ", "bob +typing=done"}},
		{other, []string{"#general +typing=active +draft/react= ", "bob +typing=done"}},
	} {
		for _, want := range tc.want {
			ls := tc.c.until("TAGMSG")
			l := ls[len(ls)-1]
			got := l.Param(0)
			for _, tag := range l.Tags {
				if tag.Key != "time" && tag.Key != "msgid" { // msgid: TestTagmsgMsgid
					got += " " + tag.Key + "=" + tag.Value
				}
			}
			if got != want || l.Source != "alice!alice@peerhood" {
				t.Errorf("TAGMSG %s from %s, want %s", got, l.Source, want)
			}
			if _, ok := l.Get("time"); ok != (tc.c == sender) {
				t.Errorf("time tag %v for a client with server-time %v", ok, tc.c == sender)
			}
		}
	}
	plain.send("PING :p")
	if _, ok := find(plain.until("PONG"), "TAGMSG"); ok {
		t.Error("a client without message-tags got a TAGMSG")
	}
	for _, tc := range []struct{ line, want string }{
		{"TAGMSG", "461"}, {"TAGMSG #nope", "403"}, {"TAGMSG nobody", "401"}, {"TAGMSG a,b,c,d,e", "407"},
	} {
		sender.send(tc.line)
		if got := sender.until(tc.want); len(got) != 1 {
			t.Errorf("%s: %s", tc.line, dump(got))
		}
	}
	sender.send("PART #general", "TAGMSG #general")
	sender.until("404")
}

// TestLongLines: 512 bytes without tags (CR LF included) is a line, 513
// is 417; the tag section of a client is up to 4096 bytes; the
// connection goes on after either.
func TestLongLines(t *testing.T) {
	tn := newTestNet(t)
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register()
	fit := "PING :" + strings.Repeat("x", MaxLine-2-len("PING :"))
	for _, tc := range []struct{ raw, want string }{
		{fit + "\r\n", "PONG"},
		{fit + "y\r\n", "417"},
		{fit + "\n", "PONG"},
		{"@+t=" + strings.Repeat("v", 4000) + " " + fit + "\r\n", "PONG"},
		{"@+t=" + strings.Repeat("v", 5000) + " PING :a\r\n", "417"},
	} {
		if _, err := io.WriteString(c.conn, tc.raw); err != nil {
			t.Fatal(err)
		}
		if got := c.until(tc.want); len(got) != 1 {
			t.Errorf("%.20q...: %s", tc.raw, dump(got))
		}
	}
}
