package ircgw

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestMonitorReplies: MONITOR + - C L S and their numerics (IRCv3
// monitor). Online is present in presence (bob), this node's own member
// always; an offline member (carol) and a nick that names no member are
// offline. Replies name the targets as the client spelled them.
func TestMonitorReplies(t *testing.T) {
	tn := newTestNet(t)
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register()
	var hundred []string
	for i := range monitorMax {
		hundred = append(hundred, fmt.Sprint("n", i))
	}
	runReplies(t, tn, c, "", []replyCase{
		{"MONITOR + bob,carol,nobody,Alice", []string{"730", "731"}, "bob!bob@peerhood,Alice!Alice@peerhood alice carol,nobody", nil},
		{"MONITOR L", []string{"732", "733"}, "Alice,bob,carol,nobody alice End", nil},
		{"MONITOR + BOB", []string{"730"}, "bob!bob@peerhood", nil}, // already there: its state again, as first spelled
		{"MONITOR L", []string{"732", "733"}, "Alice,bob,carol,nobody alice End", nil},
		{"MONITOR - carol,NOBODY,never\r\nMONITOR L", []string{"732", "733"}, "Alice,bob alice End", nil},
		{"MONITOR S", []string{"730"}, "Alice!Alice@peerhood,bob!bob@peerhood", nil},
		{"MONITOR + bob/lab,carol/lab", []string{"730", "731"}, "bob/lab!bob@peerhood alice carol/lab", nil},
		{"MONITOR + a*b,,#chan\r\nMONITOR L", []string{"732", "733"}, "Alice,bob,bob/lab,carol/lab alice End", nil},
		{"MONITOR C\r\nMONITOR L", []string{"733"}, "", nil},
		{"MONITOR", []string{"461"}, "MONITOR", nil},
		{"MONITOR +", []string{"461"}, "MONITOR", nil},
		{"MONITOR x", []string{"NOTICE"}, "MONITOR takes", nil}, // FAIL with standard-replies (TestStandardRepliesOnlyWithTheCap)
		// The list is bounded: what does not fit is left out, named in
		// 734; a target already there is still answered.
		{"MONITOR + " + strings.Join(hundred, ","), []string{"731"}, "n0,n1,", nil},
		{"MONITOR + bob,n100", []string{"734"}, fmt.Sprintf("%d bob,n100 Monitor list is full", monitorMax), nil},
		{"MONITOR + n5,bob", []string{"731", "734"}, "n5 alice 100 bob", nil},
		{"MONITOR - n5\r\nMONITOR + bob,n100", []string{"730", "734"}, "bob!bob@peerhood alice 100 n100", nil},
	})
}

// TestMonitorNotifies: a monitored member coming online or going
// offline is told once per change (730/731), to each connection by its
// own list; away and back is no change. With extended-monitor and
// away-notify a client sharing no channel with the member gets its
// AWAY lines too.
func TestMonitorNotifies(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, nil)
	c1, c2, c3 := dial(t, s), dial(t, s), dial(t, s)
	c1.register()
	c2.register("away-notify")
	c3.register("away-notify", "extended-monitor")
	c1.send("MONITOR + bob,carol")
	c1.until("731")
	c2.send("MONITOR + Carol")
	c2.until("731")
	c3.send("MONITOR + carol")
	c3.until("731")

	tn.net.SetPresence("carol", Online, "")
	if l := c1.until("730"); l[len(l)-1].Param(1) != "carol!carol@peerhood" {
		t.Errorf("c1: %s", dump(l))
	}
	if l := c2.until("730"); l[len(l)-1].Param(1) != "Carol!Carol@peerhood" {
		t.Errorf("c2: %s", dump(l))
	}
	if l := c3.until("AWAY"); len(l) != 2 || l[0].Command != "730" || len(l[1].Params) != 0 {
		t.Errorf("c3 (extended-monitor) when carol came: %s", dump(l))
	}
	tn.net.SetPresence("carol", Away, "lunch")
	if l := c3.until("AWAY"); len(l) != 1 || !strings.HasPrefix(l[0].Source, "carol!") || l[0].Param(0) != "lunch" {
		t.Errorf("c3 (extended-monitor) got %s", dump(l))
	}
	tn.net.SetPresence("bob", Offline, "")
	// The hub takes events in order: carol's away came before bob's
	// offline, and told c1 nothing.
	if l := c1.until("731"); len(l) != 1 || l[0].Param(1) != "bob" {
		t.Errorf("c1 after carol's away and bob's offline: %s", dump(l))
	}
	tn.net.SetPresence("carol", Offline, "")
	// c2 has away-notify but no extended-monitor, and no channel: no
	// AWAY; and bob is not on its list.
	if l := c2.until("731"); len(l) != 1 || l[0].Param(1) != "Carol" {
		t.Errorf("c2: %s", dump(l))
	}
	if l := c1.until("731"); len(l) != 1 || l[0].Param(1) != "carol" {
		t.Errorf("c1: %s", dump(l))
	}
	tn.net.SetPresence("carol", Offline, "") // no change: nothing
	tn.net.SetPresence("bob", Online, "")
	if l := c1.until("730"); len(l) != 1 || l[0].Param(1) != "bob!bob@peerhood" {
		t.Errorf("c1: %s", dump(l))
	}
}

// TestAccountCaps: extended-join gives the account (the nick: every
// member is logged in) and the real name in JOIN; account-tag tags
// every line a member is the source of; WHOIS says 330. A client
// without the caps gets plain lines.
func TestAccountCaps(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, nil)
	c, plain := dial(t, s), dial(t, s)
	c.register("extended-join", "account-tag")
	plain.register()
	c.send("JOIN #general,#ops@lab")
	js := c.until("JOIN")
	j := js[len(js)-1]
	if acct, _ := j.Get("account"); j.Param(0) != "#general" || j.Param(1) != "alice" || j.Param(2) != "alice of home" || acct != "alice" {
		t.Errorf("extended JOIN: %s", dump([]Line{j}))
	}
	if js := plain.until("JOIN"); len(js[len(js)-1].Params) != 1 || len(js[len(js)-1].Tags) != 0 {
		t.Errorf("JOIN without the caps: %s", dump(js))
	}
	if j := c.until("JOIN"); j[len(j)-1].Param(1) != "alice" || j[len(j)-1].Param(2) != "alice of lab" {
		t.Errorf("JOIN of a room of lab: %s", dump(j))
	}
	c.until("366")
	for _, m := range []struct{ wg, room, want string }{{"wg-home", "general", "bob"}, {"wg-lab", "ops", "bob/lab"}} {
		if _, err := tn.bob.Say(t.Context(), m.wg, m.room, "hi from "+m.want, SendOptions{}); err != nil {
			t.Fatal(err)
		}
		l := c.untilText("hi from " + m.want)
		if acct, _ := l.Get("account"); acct != m.want || !strings.HasPrefix(l.Source, m.want+"!") {
			t.Errorf("%s's message: %s", m.want, dump([]Line{l}))
		}
	}
	if l := plain.untilText("hi from bob"); len(l.Tags) != 0 {
		t.Errorf("tags without account-tag: %s", dump([]Line{l}))
	}
	c.send("WHOIS bob")
	if l := mustFind(t, c.until("318"), "330"); l.Param(1) != "bob" || l.Param(2) != "bob" {
		t.Errorf("330: %s", dump([]Line{l}))
	}
	c.send("PING :server")
	if l := c.until("PONG"); len(l[0].Tags) != 0 {
		t.Errorf("a server's line tagged: %s", dump(l))
	}
}

// TestWhox: WHO mask %fields[,token] answers 354 with the fields asked,
// in WHOX's order (t c u i h s n f d l a o r), the account being the
// nick; a token that is not 1 to 3 digits is 0; a WHO without % is 352.
func TestWhox(t *testing.T) {
	tn := newTestNet(t)
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register("multi-prefix")
	c.send("JOIN #general", "PING :j")
	c.until("PONG")
	for _, tc := range []struct {
		line string
		want []string // the 354s' parameters after the nick, then 315's mask
	}{
		// irssi's and WeeChat's own requests.
		{"WHO #general %tcuhnfdar,743", []string{"743 #general alice peerhood alice H@+ 0 alice alice of home", "#general"}},
		{"WHO #general %cuhsnfdar", []string{"#general alice peerhood peerhood alice H@+ 0 alice alice of home", "#general"}},
		{"WHO bob/lab %rnaf", []string{"bob/lab H bob/lab bob of lab", "bob/lab"}},
		{"WHO carol %ilod", []string{"255.255.255.255 0 0 n/a", "carol"}},
		{"WHO b* %n", []string{"bob", "bob/lab", "b*"}},
		{"WHO bob %tn,abcd", []string{"0 bob", "bob"}},
		{"WHO bob %tn,1234", []string{"0 bob", "bob"}},
		{"WHO bob %", []string{"", "bob"}},
		{"WHO nobody %n", []string{"nobody"}},
	} {
		c.send(tc.line)
		var got []string
		for _, l := range c.until("315") {
			switch l.Command {
			case "354":
				got = append(got, strings.Join(l.Params[1:], " "))
			case "315":
				got = append(got, l.Param(1))
			default:
				t.Errorf("%s: %s", tc.line, dump([]Line{l}))
			}
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: %q, want %q", tc.line, got, tc.want)
		}
	}
	c.send("WHO bob o")
	if l := c.until("315"); l[0].Command != "352" {
		t.Errorf("WHO without %%: %s", dump(l))
	}
}

// TestPackedSplitsLongReplies: a reply listing more than fits in one
// line (MONITOR L's 732 here, NAMES' 353 through the same packed) is
// split into lines of at most MaxLine bytes, every item once, in order.
func TestPackedSplitsLongReplies(t *testing.T) {
	tn := newTestNet(t)
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register()
	var nicks []string
	for i := range monitorMax {
		nicks = append(nicks, fmt.Sprintf("someone-with-a-rather-long-name-%02d", i))
	}
	for i := 0; i < len(nicks); i += 10 { // each command fits in a line
		c.send("MONITOR + " + strings.Join(nicks[i:i+10], ","))
	}
	c.send("MONITOR L", "PING :packed")
	var got []string
	lines := 0
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		raw, err := c.r.ReadString('\n')
		if err != nil {
			t.Fatalf("read: %v (after %d lines)", err, lines)
		}
		if len(raw) > MaxLine {
			t.Errorf("a line of %d bytes, over MaxLine (%d): %.60q...", len(raw), MaxLine, raw)
		}
		l, err := ParseLine(raw)
		if err != nil {
			t.Fatalf("unparsable line %q: %v", raw, err)
		}
		if l.Command == "PONG" && l.Param(len(l.Params)-1) == "packed" {
			break
		}
		if l.Command == "732" {
			lines++
			got = append(got, strings.Split(l.Param(1), ",")...)
		}
	}
	if lines < 2 {
		t.Errorf("%d nicks of %d bytes came in %d line(s); want them split", len(nicks), len(nicks[0]), lines)
	}
	if strings.Join(got, ",") != strings.Join(nicks, ",") {
		t.Errorf("732 listed %d nicks %v, want the %d sent, in order", len(got), got, len(nicks))
	}
}
