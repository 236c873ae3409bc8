package ircgw

import (
	"strings"
	"testing"
	"time"
)

// TestJoinReplies: JOIN of a new room creates it (331, no topic); the
// names carry @ for admins and + for present members (both with
// multi-prefix); a room of another workgroup is #room@tag; the topic is
// 332 once set; MODE answers 324/329.
func TestJoinReplies(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.bob.CreateRoom(t.Context(), "wg-home", "general", "all hands", nil); err != nil {
		t.Fatal(err)
	}
	s := startGateway(t, tn.alice, nil)
	c := dial(t, s)
	c.register("multi-prefix")
	cases := []struct {
		join, chanName, topicCode, names string
	}{
		{"#general", "#general", "332", "@+alice +bob"},
		{"#new", "#new", "331", "@+alice"},
		{"#ops@lab", "#ops@lab", "331", "@+alice"},
	}
	for _, tc := range cases {
		c.send("JOIN " + tc.join)
		got := c.until("366")
		if j := mustFind(t, got, "JOIN"); !strings.EqualFold(j.Param(0), tc.chanName) || !strings.HasPrefix(j.Source, "alice!") {
			t.Errorf("JOIN %s: %v", tc.join, j)
		}
		mustFind(t, got, tc.topicCode)
		if n := mustFind(t, got, "353"); n.Param(3) != tc.names {
			t.Errorf("JOIN %s: names %q, want %q", tc.join, n.Param(3), tc.names)
		}
	}
	// By workgroup ID, in another case: the same channel, already joined.
	c.send("JOIN #OPS@wg-lab", "PING :x")
	if got := c.until("PONG"); len(got) != 1 {
		t.Errorf("JOIN of a channel already joined: %s", dump(got))
	}
	topics(t, tn, c)

	c.send("PART #new :bye", "PING x")
	got := c.until("PONG")
	if p := mustFind(t, got, "PART"); p.Param(0) != "#new" {
		t.Errorf("PART: %v", p)
	}
	rooms, _ := tn.alice.Rooms("wg-home")
	for _, r := range rooms {
		if r.Name == "new" && r.Joined {
			t.Error("PART did not leave the room")
		}
	}
}

// topics: TOPIC and MODE on #general (which c joined): a long topic is
// cut to fit, a change by this node or another member arrives once.
func topics(t *testing.T, tn *testNet, c *ircClient) {
	t.Helper()
	// A topic longer than a line allows is cut to fit, not dropped.
	long := strings.Repeat("é", 400)
	if err := tn.alice.SetTopic(t.Context(), "wg-home", "general", long); err != nil {
		t.Fatal(err)
	}
	c.send("TOPIC #general")
	got := c.until("332")
	if tp := got[len(got)-1].Param(2); len(tp) < 400 || !strings.HasPrefix(long, tp) {
		t.Errorf("long topic: %d bytes %q", len(tp), tp)
	}

	c.send("MODE #general")
	got = c.until("329")
	if m := mustFind(t, got, "324"); m.Param(2) != "+nt" {
		t.Errorf("324: %v", m)
	}
	c.send("TOPIC #general :new topic", "TOPIC #general")
	got = c.until("332")
	if tp := mustFind(t, got, "TOPIC"); tp.Param(1) != "new topic" {
		t.Errorf("TOPIC: %v", tp)
	}
	if got[len(got)-1].Param(2) != "new topic" {
		t.Errorf("332 after TOPIC: %v", got[len(got)-1])
	}
	// Another member's topic change arrives live; this node's own once.
	if err := tn.bob.SetTopic(t.Context(), "wg-home", "general", "bob's topic"); err != nil {
		t.Fatal(err)
	}
	got = c.until("TOPIC")
	if tp := got[len(got)-1]; !strings.HasPrefix(tp.Source, "bob!") || tp.Param(1) != "bob's topic" {
		t.Errorf("live TOPIC: %v", tp)
	}
	c.send("TOPIC #general :mine", "PING :y")
	got = c.until("PONG")
	if n := strings.Count(dump(got), " TOPIC "); n != 1 {
		t.Errorf("%d TOPIC lines for one change: %s", n, dump(got))
	}
}

// TestMessaging: a room message reaches another member's client (with
// server-time and msgid tags), the sender's own other client (as its
// echo) and the sender itself only with echo-message; direct messages
// are queries; errors for unknown targets.
func TestMessaging(t *testing.T) {
	tn := newTestNet(t)
	sa := startGateway(t, tn.alice, nil)
	sb := startGateway(t, tn.bob, nil)
	a1 := dial(t, sa)
	a1.register("echo-message", "server-time", "message-tags")
	a2 := dial(t, sa)
	a2.register()
	b := dial(t, sb)
	b.register("server-time", "message-tags")
	a1.send("JOIN #general")
	a1.until("366")
	a2.until("366") // alice's other client joins too
	b.send("JOIN #general")
	b.until("366")

	a1.send("PRIVMSG #general :hello all")
	echo := a1.until("PRIVMSG")[0:]
	e := echo[len(echo)-1]
	if e.Param(1) != "hello all" || !strings.HasPrefix(e.Source, "alice!") {
		t.Fatalf("echo: %v", e)
	}
	if _, ok := e.Get("msgid"); !ok {
		t.Errorf("echo without msgid: %v", e)
	}
	got := b.until("PRIVMSG")
	m := got[len(got)-1]
	if m.Param(0) != "#general" || m.Param(1) != "hello all" || !strings.HasPrefix(m.Source, "alice!") {
		t.Fatalf("bob got %v", m)
	}
	ts, ok := m.Get("time")
	if _, err := time.Parse(time.RFC3339Nano, ts); !ok || err != nil {
		t.Errorf("server-time tag %q: %v", ts, err)
	}
	if id, _ := m.Get("msgid"); id == "" || id != func() string { v, _ := e.Get("msgid"); return v }() {
		t.Errorf("msgid differs between echo and delivery: %q", id)
	}
	got = a2.until("PRIVMSG")
	if m := got[len(got)-1]; m.Param(1) != "hello all" || len(m.Tags) != 0 {
		t.Errorf("alice's second client got %v (no caps: no tags)", m)
	}

	// A CTCP ACTION is "/me" text in chat, and an ACTION again on IRC.
	a1.send("PRIVMSG #general :\x01ACTION waves\x01")
	for _, c := range []*ircClient{b, a1, a2} {
		c.untilText("\x01ACTION waves\x01")
	}
	if h, _ := tn.bob.History(t.Context(), "wg-home", HistoryQuery{Room: "general", Limit: 1}); len(h) != 1 || h[0].Text != "/me waves" {
		t.Errorf("action stored as %+v", h)
	}

	// a2 (no echo-message) sends: a1 sees it, a2 gets no echo.
	a2.send("PRIVMSG #general :from a2", "PING :after")
	got = a2.until("PONG")
	if _, ok := find(got, "PRIVMSG"); ok {
		t.Errorf("echo without echo-message: %s", dump(got))
	}
	if m := a1.until("PRIVMSG"); m[len(m)-1].Param(1) != "from a2" {
		t.Errorf("a1 got %v", m[len(m)-1])
	}

	queries(t, a1, b)

	answersAtOnce(t, a1, []lineCode{
		{"PRIVMSG nobody :x", "401"},
		{"PRIVMSG #nowhere@nolab :x", "403"},
		{"PRIVMSG #notjoined :x", "403"}, // no such room
		{"PRIVMSG #general", "412"},
		{"PRIVMSG", "411"},
		{"FROB x", "421"},
		{"JOIN", "461"},
		{"JOIN nochan", "403"},
		{"WHOIS nobody", "401"},
	})
}

// queries: direct messages between alice's client a (with echo-message)
// and bob's b, both ways, in the default and another workgroup.
func queries(t *testing.T, a, b *ircClient) {
	t.Helper()
	a.send("PRIVMSG bob :psst")
	if m := b.untilText("psst"); m.Param(0) != "bob" || m.Param(1) != "psst" || !strings.HasPrefix(m.Source, "alice!") {
		t.Errorf("bob's query: %v", m)
	}
	a.untilText("psst") // echo
	b.send("PRIVMSG alice/lab :in the lab")
	if m := a.untilText("in the lab"); m.Param(0) != "alice" || !strings.HasPrefix(m.Source, "bob/lab!") {
		t.Errorf("alice's query from lab: %v", m)
	}
}

// lineCode is a line a client sends and the numeric it is answered.
type lineCode struct{ line, code string }

// answersAtOnce sends each line and checks that c's next line is the
// numeric it maps to.
func answersAtOnce(t *testing.T, c *ircClient, cases []lineCode) {
	t.Helper()
	for _, tc := range cases {
		c.send(tc.line)
		if got := c.until(tc.code); len(got) != 1 {
			t.Errorf("%q: lines before %s: %s", tc.line, tc.code, dump(got))
		}
	}
}

// whoReplies sends a WHO line and returns its 352 replies as
// "nick flags", comma-separated.
func whoReplies(c *ircClient, line string) string {
	c.send(line)
	var who []string
	for _, l := range c.until("315") {
		if l.Command == "352" {
			who = append(who, l.Param(5)+" "+l.Param(6))
		}
	}
	return strings.Join(who, ",")
}

// TestWhoWhoisListAway covers WHO, WHOIS, LIST and presence: AWAY sets
// this node's presence (305/306 to every client of it), others' changes
// arrive as away-notify and voice changes, WHOIS and PRIVMSG show 301.
func TestWhoWhoisListAway(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.bob.CreateRoom(t.Context(), "wg-home", "general", "all hands", nil); err != nil {
		t.Fatal(err)
	}
	s := startGateway(t, tn.alice, nil)
	c := dial(t, s)
	c.register("away-notify", "multi-prefix")
	c.send("JOIN #general")
	if who := whoReplies(c, "WHO #general"); who != "alice H@+,bob H+" {
		t.Errorf("WHO: %v", who)
	}
	if who := whoReplies(c, "WHO *"); who != "alice H,bob H,carol G,alice H,bob/lab H" {
		t.Errorf("WHO *: %v", who)
	}
	for mask, want := range map[string]string{"b*": "bob H,bob/lab H", "?AROL": "carol G", "*/lab": "bob/lab H", "x*": ""} {
		if who := whoReplies(c, "WHO "+mask); who != want {
			t.Errorf("WHO %s: %q, want %q", mask, who, want)
		}
	}
	c.send("WHOIS carol")
	got := c.until("318")
	if w := mustFind(t, got, "311"); w.Param(1) != "carol" {
		t.Errorf("311: %v", w)
	}
	if a := mustFind(t, got, "301"); a.Param(2) != Offline {
		t.Errorf("301: %v", a)
	}
	c.send("LIST")
	got = c.until("323")
	mustFind(t, got, "321")
	if l := mustFind(t, got, "322"); l.Param(1) != "#general" || l.Param(2) != "2" || l.Param(3) != "all hands" {
		t.Errorf("322: %v", l)
	}

	c.send("ISON bob carol nobody")
	if on := c.until("303"); on[len(on)-1].Param(1) != "bob" {
		t.Errorf("ISON: %v", on[len(on)-1])
	}
	c.send("TAGMSG #general", "PING :x")
	if got := c.until("PONG"); len(got) != 1 {
		t.Errorf("TAGMSG answered: %s", dump(got))
	}

	// AWAY: 306/305 once to the client that asked and to the node's other
	// client; a change made elsewhere (the CLI) reaches both.
	c2 := dial(t, s)
	c2.register()
	c.send("AWAY :lunch", "PING :a")
	if got := c.until("PONG"); strings.Count(dump(got), " 306 ") != 1 {
		t.Errorf("AWAY: %s", dump(got))
	}
	if me, _ := tn.alice.Self("wg-home"); me.State != Away || me.Text != "lunch" {
		t.Errorf("AWAY did not set presence: %+v", me)
	}
	c2.until("306")
	c.send("AWAY")
	c.until("305")
	c2.until("305")
	tn.net.SetPresence("alice", Busy, "call")
	c.until("306")
	c2.until("306")

	tn.net.SetPresence("bob", Away, "meeting")
	got = c.until("AWAY")
	if a := got[len(got)-1]; !strings.HasPrefix(a.Source, "bob!") || a.Param(0) != "meeting" {
		t.Errorf("away-notify: %v", a)
	}
	tn.net.SetPresence("bob", Offline, "")
	got = c.until("MODE")
	if m := got[len(got)-1]; m.Param(0) != "#general" || m.Param(1) != "-v" || m.Param(2) != "bob" {
		t.Errorf("devoice on offline: %v", m)
	}
	c.send("PRIVMSG bob :are you there")
	if a := c.until("301"); a[len(a)-1].Param(1) != "bob" {
		t.Errorf("301 on PRIVMSG: %v", a)
	}
}

// noMembers is a backend whose rooms list no members yet (chat lists
// those it hears on the room's topic, which takes a moment).
type noMembers struct{ *MemoryNode }

func (noMembers) RoomMembers(string, string) ([]string, error) { return nil, nil }

// TestNamesIncludeSelf: the names of a channel just joined hold this
// node's member even when the backend does not list it yet.
func TestNamesIncludeSelf(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, func(c *Config) { c.Backend = noMembers{tn.alice} })
	c := dial(t, s)
	c.register("multi-prefix")
	c.send("JOIN #fresh")
	got := c.until("366")
	if n, ok := find(got, "353"); !ok || n.Param(3) != "@+alice" {
		t.Fatalf("names of a fresh room: %s", dump(got))
	}
}
