package ircgw

import (
	"slices"
	"strings"
	"testing"
)

// TestIrctestNames: irctest's names.py. NAMES of several channels is
// their 353s, then one 366 naming the list as given
// (testNamesMultipleChannels: TARGMAX says NAMES takes any number);
// one channel, or a name that is none, keeps its own 366. Before: a 366
// after each channel.
func TestIrctestNames(t *testing.T) {
	tn := newTestNet(t)
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register()
	c.send("JOIN #chan1,#chan2")
	c.until("366")
	c.until("366")
	runExchanges(t, c, []exchangeCase{
		{"NAMES #chan1,#chan2", []string{"353 = #chan1 @alice", "353 = #chan2 @alice", "366 #chan1,#chan2 End of /NAMES list"}},
		{"NAMES #chan1,#nonexisting", []string{"353 = #chan1 @alice", "366 #chan1,#nonexisting End of /NAMES list"}},
		{"NAMES #chan1", []string{"353 = #chan1 @alice", "366 #chan1 End of /NAMES list"}},
		{"NAMES #nonexisting", []string{"366 #nonexisting End of /NAMES list"}},
		{"NAMES invalid", []string{"366 invalid End of /NAMES list"}},
	})
}

// TestMessageToSelfEcho: irctest's chathistory testMessagesToSelf and
// labeled-response testLabeledPrivmsgResponsesToSelf: a PRIVMSG or
// NOTICE to one's own nick is delivered once, and with echo-message
// echoed as well, two equal lines; with a label exactly one of them
// (the echo) carries it. Before: without a label, a client with
// echo-message got the delivery alone.
func TestMessageToSelfEcho(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, nil)
	for _, tc := range []struct {
		caps    []string
		line    string
		n       int    // lines the sender gets
		labeled string // the label one of them carries
	}{
		{nil, "PRIVMSG alice :note", 1, ""},
		{[]string{"echo-message"}, "PRIVMSG alice :note", 2, ""},
		{[]string{"echo-message"}, "NOTICE alice :note", 2, ""},
		{[]string{"echo-message", "batch", "labeled-response"}, "PRIVMSG alice :note", 2, ""},
		{[]string{"echo-message", "batch", "labeled-response"}, "@label=xyz PRIVMSG alice :note", 2, "xyz"},
		{[]string{"echo-message", "batch", "labeled-response"}, "@label=xyz NOTICE alice :note", 2, "xyz"},
	} {
		t.Run(strings.Join(tc.caps, "+")+" "+tc.line, func(t *testing.T) {
			c := dial(t, s)
			c.register(tc.caps...)
			c.send(tc.line, "PING :end")
			var got []Line
			for _, l := range c.until("PONG") {
				if l.Command == "PRIVMSG" || l.Command == "NOTICE" {
					got = append(got, l)
				}
			}
			labels := 0
			for _, l := range got {
				if lb, ok := l.Get("label"); ok {
					labels++
					if lb != tc.labeled {
						t.Errorf("label %q, want %q", lb, tc.labeled)
					}
				}
				if l.Param(0) != "alice" || l.Param(1) != "note" || l.Source != "alice!alice@peerhood" {
					t.Errorf("line %s", dump([]Line{l}))
				}
			}
			if len(got) != tc.n || (labels == 1) != (tc.labeled != "") || labels > 1 {
				t.Fatalf("%d lines (%d labeled), want %d (labeled %q): %s", len(got), labels, tc.n, tc.labeled, dump(got))
			}
		})
	}
}

// TestIrctestSASLAfterRegistration: irctest's sasl.py: AUTHENTICATE
// after registration is 462 (no SASL after registration, an optional
// behaviour) for a client that did not log in with SASL, 907 for one
// that did. Before: 904, which irctest's testPlainPostRegistration
// fails (it takes AUTHENTICATE + or 462).
func TestIrctestSASLAfterRegistration(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, nil)
	for _, tc := range []struct {
		name string
		reg  []string
		want string
	}{
		{"pass", []string{"CAP LS 302", "CAP REQ :sasl", "PASS " + testToken, "NICK a", "USER u 0 * :r", "CAP END"}, "462 You may not reregister"},
		{"no sasl cap", []string{"PASS " + testToken, "NICK a", "USER u 0 * :r"}, "462 You may not reregister"},
		{"sasl", []string{"CAP LS 302", "CAP REQ :sasl", "AUTHENTICATE PLAIN", "AUTHENTICATE " + saslPlain("alice", testToken), "NICK a", "USER u 0 * :r", "CAP END"},
			"907 You have already authenticated using SASL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, s)
			c.send(tc.reg...)
			c.until("376")
			runExchanges(t, c, []exchangeCase{
				{"AUTHENTICATE PLAIN", []string{tc.want}},
				{"AUTHENTICATE " + saslPlain("alice", testToken), []string{tc.want}},
			})
		})
	}
}

// TestIrctestChannellen: irctest's isupport_limits testChannellen where
// the gateway can follow it: 005 says CHANNELLEN=130, the longest
// channel there is ('#', a 64-byte room, '@', a 64-byte workgroup tag);
// a JOIN of a longer name is 403; a room name chat refuses (over 64
// bytes) is 476. Before: CHANNELLEN=200, and 476 for any long name.
func TestIrctestChannellen(t *testing.T) {
	tn := newTestNet(t)
	c := dial(t, startGateway(t, tn.alice, nil))
	var tokens []string
	for _, l := range c.register() {
		if l.Command == "005" {
			tokens = append(tokens, l.Params[1:len(l.Params)-1]...)
		}
	}
	if !slices.Contains(tokens, "CHANNELLEN=130") {
		t.Errorf("005 %q, want CHANNELLEN=130", tokens)
	}
	at64, at65, over := "#"+strings.Repeat("a", 64), "#"+strings.Repeat("a", 65), "#"+strings.Repeat("b", 130)
	runExchanges(t, c, []exchangeCase{
		{"JOIN " + at64, []string{"JOIN " + at64, "331 " + at64 + " No topic is set", "353 = " + at64 + " @alice", "366 " + at64 + " End of /NAMES list"}},
		{"JOIN " + at65, []string{"476 " + at65 + " Bad channel name: ..."}},
		{"JOIN " + over, []string{"403 " + over + " No such channel: use #room or #room@workgroup"}},
	})
}

// TestIrctestUnknownCommand: irctest's labeled-response
// testUnknownCommand: a command word that is not letters or 3 digits
// (NONEXISTENT_COMMAND) is an unknown command, 421, labeled when the
// line is, 451 before registration. Before: FAIL * INVALID_LINE (a
// NOTICE without standard-replies).
func TestIrctestUnknownCommand(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, nil)
	pre := dial(t, s)
	runExchanges(t, pre, []exchangeCase{{"NONEXISTENT_COMMAND", []string{"451 You have not registered"}}})
	c := dial(t, s)
	c.register("batch", "labeled-response")
	runExchanges(t, c, []exchangeCase{
		{"NONEXISTENT_COMMAND", []string{"421 NONEXISTENT_COMMAND Unknown command"}},
		{"priv-msg x :y", []string{"421 PRIV-MSG Unknown command"}},
		{":alice!a@b X1 y", []string{"421 X1 Unknown command"}},
		{"@+t=1 12 x", []string{"421 12 Unknown command"}},
	})
	c.send("@label=deadbeef NONEXISTENT_COMMAND")
	l, err := c.read()
	if err != nil {
		t.Fatal(err)
	}
	if lb, _ := l.Get("label"); l.Command != "421" || lb != "deadbeef" {
		t.Fatalf("got %s, want 421 labeled deadbeef", dump([]Line{l}))
	}
}

// TestIrctestChathistoryBatchTarget: irctest's chathistory
// validate_chathistory_batch: the batch's target is the one asked, as
// spelled, when it names the channel or nick under the casemapping
// (testChathistoryDMs asks with the nick upper-cased); #room/wg is
// answered with the channel's name. Before: always the canonical name.
func TestIrctestChathistoryBatchTarget(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.bob.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register("batch", "server-time", "message-tags", "draft/chathistory")
	c.send("JOIN #general")
	c.until("366")
	for _, tc := range []struct{ target, want string }{
		{"bob", "bob"}, {"BOB", "BOB"}, {"#general", "#general"}, {"#GENERAL", "#GENERAL"},
		{"#general/home", "#general"}, {"bob/LAB", "bob/LAB"}, {"Bob/lab", "Bob/lab"},
	} {
		c.send("CHATHISTORY LATEST " + tc.target + " * 10")
		ls := c.until("BATCH")
		if open := ls[len(ls)-1]; open.Param(1) != "chathistory" || open.Param(2) != tc.want {
			t.Errorf("CHATHISTORY LATEST %s: batch %s, want target %s", tc.target, dump([]Line{open}), tc.want)
		}
		c.until("BATCH")
	}
}

// TestIrctestChannelCase: irctest's who testWhoChan("#CHAN") and the
// modern replies: a channel named in another case is the channel, and
// the replies name it as its JOIN did (352's channel, 353, 324, 331,
// PART, 366); WHO's end keeps the mask as asked (315). Before:
// the client's spelling everywhere ("352 #GENERAL", "PART #GENERAL").
func TestIrctestChannelCase(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.bob.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register()
	c.send("JOIN #general")
	c.until("366")
	runExchanges(t, c, []exchangeCase{
		{"WHO #GENERAL", []string{"352 #general alice peerhood peerhood alice H@ 0 alice of home",
			"352 #general bob peerhood peerhood bob H+ 0 bob of home", "315 #GENERAL End of /WHO list"}},
		{"NAMES #GENERAL", []string{"353 = #general @alice +bob", "366 #general End of /NAMES list"}},
		{"TOPIC #GENERAL", []string{"331 #general No topic is set"}},
		{"MODE #GENERAL", []string{"324 #general +nt", "329 #general UNIX"}},
		{"PART #GENERAL", []string{"PART #general"}},
		{"JOIN #GENERAL", []string{"JOIN #general", "331 #general No topic is set", "353 = #general @alice +bob", "366 #general End of /NAMES list"}},
	})
}
