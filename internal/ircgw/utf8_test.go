package ircgw

import (
	"strings"
	"testing"
)

// TestNotUTF8: UTF8ONLY. A command with bytes that are not UTF-8 is
// refused with FAIL <cmd> INVALID_UTF8, to a client with or without
// standard-replies (irctest's testUtf8Validation connects without
// caps and takes FAIL, WARN or ERROR), labeled when the command was
// (irctest's testNonUtf8Filtering); nothing reaches chat. A NOTICE is
// dropped unanswered; USER goes on with U+FFFD (WARN USER), QUIT too.
// Before (s15): every command ran with U+FFFD for the bad bytes, a WARN
// to standard-replies clients and a NOTICE to the others, so the
// mangled text was kept in chat for every member.
func TestNotUTF8(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.bob.CreateRoom(t.Context(), "wg-home", "general", "the topic", nil); err != nil {
		t.Fatal(err)
	}
	s := startGateway(t, tn.alice, func(cfg *Config) { cfg.FloodBurst = 1000 })
	fail := func(cmd string) []string { return []string{"FAIL " + cmd + " INVALID_UTF8 " + utf8Refused} }
	rows := []exchangeCase{
		{"PRIVMSG #general :hi\xaa", fail("PRIVMSG")},
		{"PRIVMSG bob :hi\xaa", fail("PRIVMSG")},
		{"PRIVMSG #general,bob :hi\xaa", fail("PRIVMSG")},
		{"TAGMSG #gen\xe9ral", fail("TAGMSG")},
		{"NOTICE #general :hi\xaa", nil},
		{"NOTICE bob :hi\xaa", nil},
		{"TOPIC #general :caf\xe9", fail("TOPIC")},
		{"AWAY :caf\xe9", fail("AWAY")},
		{"PART #general :caf\xe9", fail("PART")},
		{"JOIN #caf\xe9", fail("JOIN")},
		{"KICK #general bob :\xe9", fail("KICK")},
		{"WHOIS bob\xff", fail("WHOIS")},
		{"PING :\xff", fail("PING")},
		{"NICK al\xefce", []string{"WARN NICK INVALID_UTF8 Not UTF-8: the bad bytes were replaced; this network is UTF-8 only",
			"432 al\uFFFDce Your nick is your member name (alice) and cannot change"}},
	}
	for _, caps := range [][]string{{}, {"standard-replies", "echo-message", "server-time"}} {
		t.Run("caps="+strings.Join(caps, "+"), func(t *testing.T) {
			c := dial(t, s)
			c.register(caps...)
			c.send("JOIN #general")
			c.until("366")
			runExchanges(t, c, rows)
			// Nothing reached chat: no message, the topic and presence
			// as they were, still in the channel.
			if ms, err := tn.alice.History(t.Context(), "wg-home", HistoryQuery{Room: "general", Limit: 50}); err != nil || len(ms) != 0 {
				t.Errorf("room history %v %v, want none", ms, err)
			}
			if ms, err := tn.alice.History(t.Context(), "wg-home", HistoryQuery{Peer: "bob", Limit: 50}); err != nil || len(ms) != 0 {
				t.Errorf("direct history %v %v, want none", ms, err)
			}
			if rs, _ := tn.alice.Rooms("wg-home"); len(rs) != 1 || rs[0].Topic != "the topic" || !rs[0].Joined {
				t.Errorf("rooms %+v, want general joined with its topic", rs)
			}
			if me, _ := tn.alice.Self("wg-home"); me.State != Online {
				t.Errorf("presence %q, want online", me.State)
			}
			c.send("QUIT :bye\xff")
			if got := c.closed(); len(got) == 0 || got[len(got)-1].Command != "ERROR" || got[len(got)-1].Param(0) != "Closing link: Quit: bye\uFFFD" {
				t.Errorf("QUIT: %s", dump(got))
			}
		})
	}
}

// TestNotUTF8Labeled: irctest's testNonUtf8Filtering: a labeled
// PRIVMSG that is not UTF-8 is answered by a labeled FAIL, its only
// reply (no echo).
func TestNotUTF8Labeled(t *testing.T) {
	tn := newTestNet(t)
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register("batch", "echo-message", "labeled-response")
	c.send("JOIN #qux")
	c.until("366")
	c.send("@label=xyz PRIVMSG #qux hi\xaa")
	l, err := c.read()
	if err != nil {
		t.Fatal(err)
	}
	if lb, _ := l.Get("label"); l.Command != "FAIL" || l.Param(0) != "PRIVMSG" || l.Param(1) != "INVALID_UTF8" || lb != "xyz" {
		t.Fatalf("got %s, want a FAIL PRIVMSG INVALID_UTF8 labeled xyz", dump([]Line{l}))
	}
}

// TestNotUTF8RealName: a latin-1 client whose nick and real name are
// not UTF-8 still registers (both are made from the member), with WARN
// NICK and WARN USER INVALID_UTF8 to any client.
func TestNotUTF8RealName(t *testing.T) {
	tn := newTestNet(t)
	c := dial(t, startGateway(t, tn.alice, nil))
	c.send("PASS "+testToken, "NICK J\xfcrgen", "USER j 0 * :J\xfcrgen")
	var warned []string
	for _, l := range c.until("001") {
		if l.Command == "WARN" && l.Param(1) == "INVALID_UTF8" {
			warned = append(warned, l.Param(0))
		}
	}
	if strings.Join(warned, " ") != "NICK USER" {
		t.Fatalf("WARN INVALID_UTF8 for %q before 001, want NICK USER", warned)
	}
}
