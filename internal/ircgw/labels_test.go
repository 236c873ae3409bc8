package ircgw

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// labeledShape reads the lines answering a labeled command (up to the
// PONG of the unlabeled "PING :end" sent after it) and returns the
// logical response: "CMD" for one labeled line, "BATCH type[CMD ...]"
// for a batch whose start carries the label (its lines' commands, a
// nested batch as "BATCH+type"), "" when nothing carries it. It fails
// the test when the label is on more than one line, when a line of the
// batch lies outside it or when the batch does not end.
func labeledShape(t *testing.T, c *ircClient, label string) (string, []Line) {
	t.Helper()
	var got []Line
	for {
		l, err := c.read()
		if err != nil {
			t.Fatalf("waiting for PONG end: %v; read %s", err, dump(got))
		}
		if l.Command == "PONG" && l.Param(1) == "end" {
			break
		}
		got = append(got, l)
	}
	at := -1
	for i, l := range got {
		if v, ok := l.Get("label"); ok {
			if v != label || at >= 0 {
				t.Fatalf("label %q on line %d (want %q once): %s", v, i, label, dump(got))
			}
			at = i
		}
	}
	if at < 0 {
		return "", got
	}
	start := got[at]
	if start.Command != "BATCH" {
		return start.Command, got
	}
	ref := strings.TrimPrefix(start.Param(0), "+")
	var cmds []string
	ended := false
	for i, l := range got {
		b, _ := l.Get("batch")
		switch {
		case i < at && b == ref:
			t.Fatalf("line of batch %s before its start: %s", ref, dump(got))
		case l.Command == "BATCH" && l.Param(0) == "-"+ref:
			ended = true
		case b == ref && ended:
			t.Fatalf("line of batch %s after its end: %s", ref, dump(got))
		case b == ref && l.Command == "BATCH" && strings.HasPrefix(l.Param(0), "+"):
			cmds = append(cmds, "BATCH+"+l.Param(1))
		case b == ref && l.Command != "BATCH":
			cmds = append(cmds, l.Command)
		}
	}
	if !ended {
		t.Fatalf("batch %s never ends: %s", ref, dump(got))
	}
	return fmt.Sprintf("BATCH %s[%s]", start.Param(1), strings.Join(cmds, " ")), got
}

// TestLabeledResponse: with labeled-response and batch, every command
// that carries a label is answered with it (labeled-response): one
// reply carries it, several come in a labeled-response batch (the
// label on its start; a response that is one batch, CHATHISTORY's,
// takes it there), none is an ACK; the echo of a PRIVMSG answers it.
// Before: no labeled-response capability, labels ignored.
func TestLabeledResponse(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.bob.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.bob.Say(t.Context(), "wg-home", "general", "earlier", SendOptions{}); err != nil {
		t.Fatal(err)
	}
	s := startGateway(t, tn.alice, nil)
	c := dial(t, s)
	c.register("batch", "labeled-response", "echo-message", "message-tags", "draft/chathistory")
	noEcho := dial(t, s)
	noEcho.register("batch", "labeled-response")
	c.send("JOIN #general", "PING :j")
	c.until("PONG")
	noEcho.until("366")
	long := strings.Repeat("x", MaxLine)
	for _, tc := range []struct {
		c     *ircClient
		line  string
		label string // "" : no line labeled
		want  string
	}{
		{c, "@label=p1 PING :x", "p1", "PONG"},
		{c, "@label=j1 JOIN #newroom", "j1", "BATCH labeled-response[JOIN 331 353 366]"},
		{c, "@label=m1 PRIVMSG #general :hello", "m1", "PRIVMSG"},
		{c, "@label=m2 PRIVMSG #general,bob :two", "m2", "BATCH labeled-response[PRIVMSG PRIVMSG]"},
		{noEcho, "@label=m3 PRIVMSG #general :no echo", "m3", "ACK"},
		{c, "@label=n1 NOTICE #nope :x", "n1", "ACK"},
		{c, "@label=w1 PONG :nothing", "w1", "ACK"},
		{c, "@label=u1 FROB", "u1", "421"},
		{c, "@label=e1 PRIVMSG #nope :x", "e1", "403"},
		{c, "@label=h1 CHATHISTORY LATEST #general * 10", "h1", "BATCH chathistory[PRIVMSG PRIVMSG PRIVMSG PRIVMSG]"},
		{c, "@label=l1 PRIVMSG #general :" + long, "l1", "417"},
		{c, "@label=t1;+big=" + strings.Repeat("v", 5000) + " PING :a", "t1", "417"},
		{c, "@label=i1 :", "i1", "NOTICE"}, // FAIL with standard-replies
		{c, "@label=a1 AWAY :lunch", "a1", "306"},
		{c, "@label=a2 AWAY", "a2", "305"},
		// A label over 64 bytes is no label: answered unlabeled.
		{c, "@label=" + strings.Repeat("q", 65) + " PING :q", "", ""},
		{c, "@label= PING :empty", "", ""},
	} {
		t.Run(fmt.Sprintf("%.40s", tc.line), func(t *testing.T) {
			tc.c.send(tc.line, "PING :end")
			got, lines := labeledShape(t, tc.c, tc.label)
			if got != tc.want {
				t.Errorf("response %q, want %q: %s", got, tc.want, dump(lines))
			}
		})
	}
	// A message to the client's own nick: the delivery is not labeled,
	// the echo is.
	c.send("@label=s1 PRIVMSG alice :to me", "PING :end")
	got, lines := labeledShape(t, c, "s1")
	if n := strings.Count(dump(lines), "PRIVMSG alice :to me"); got != "PRIVMSG" || n != 2 {
		t.Errorf("to self: response %q and %d lines, want PRIVMSG and 2 (delivery, echo): %s", got, n, dump(lines))
	}
	// The echo's msgid is the one the others get.
	c.send("@label=d1 PRIVMSG #general :ids", "PING :end")
	_, lines = labeledShape(t, c, "d1")
	echo, _ := find(lines, "PRIVMSG")
	id, ok := echo.Get("msgid")
	if !ok {
		t.Fatalf("echo without msgid: %v", echo)
	}
	if other := noEcho.untilText("ids"); other.Param(0) != "#general" {
		t.Fatalf("other client got %v", other)
	}
	c.send("CHATHISTORY LATEST #general * 1", "PING :end")
	if h, _ := find(c.until("PONG"), "PRIVMSG"); func() string { v, _ := h.Get("msgid"); return v }() != id {
		t.Errorf("history's msgid %v, echo's %q", h, id)
	}
}

// TestLabelsWithoutTheCapability: a client that did not ask for
// labeled-response, or asked for it without batch (which the spec
// requires), sees what it saw before: no label, no ACK, no batch.
func TestLabelsWithoutTheCapability(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, nil)
	for _, caps := range [][]string{nil, {"labeled-response"}, {"batch", "echo-message"}} {
		t.Run(strings.Join(caps, ","), func(t *testing.T) {
			c := dial(t, s)
			c.register(caps...)
			c.send("@label=x JOIN #general", "@label=y NOTICE #nope :x", "@label=z PING :a", "PING :end")
			for _, l := range c.until("PONG") {
				if _, ok := l.Get("label"); ok || l.Command == "ACK" || l.Command == "BATCH" {
					t.Errorf("%v", l)
				}
			}
			c.send("QUIT")
			c.closed()
		})
	}
}

// TestNoImplicitNames: with no-implicit-names (or its draft name) a
// JOIN is not followed by NAMES (353, 366); NAMES still answers. Before:
// the capability was not offered.
func TestNoImplicitNames(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, nil)
	for _, tc := range []struct {
		caps []string
		want string
	}{
		{[]string{"draft/no-implicit-names"}, "JOIN 331"},
		{[]string{"no-implicit-names", "draft/read-marker"}, "JOIN 331 MARKREAD"},
		{[]string{"draft/read-marker"}, "JOIN 331 353 MARKREAD 366"},
		{nil, "JOIN 331 353 366"},
	} {
		t.Run(strings.Join(tc.caps, ","), func(t *testing.T) {
			c := dial(t, s)
			c.register(tc.caps...)
			c.send("PING :autojoined") // the rooms of the subtests before
			c.until("PONG")
			room := "#quiet" + strings.ReplaceAll(strings.Join(tc.caps, ""), "/", "")
			c.send("JOIN "+room, "PING :end")
			var cmds []string
			for _, l := range c.until("PONG") {
				cmds = append(cmds, l.Command)
			}
			if got := strings.Join(cmds[:len(cmds)-1], " "); got != tc.want {
				t.Errorf("JOIN answered %s, want %s", got, tc.want)
			}
			c.send("NAMES "+room, "PING :end")
			if got := c.until("PONG"); len(got) != 3 || got[0].Command != "353" || got[1].Command != "366" {
				t.Errorf("NAMES answered %s", dump(got))
			}
			c.send("QUIT")
			c.closed()
		})
	}
}

// TestUserhostInNames: with userhost-in-names a 353's items are
// nick!user@host after the prefixes (multi-prefix's too); without it,
// nicks. Before: not offered.
func TestUserhostInNames(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.bob.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.alice.JoinRoom(t.Context(), "wg-home", "general"); err != nil {
		t.Fatal(err)
	}
	s := startGateway(t, tn.alice, nil)
	for _, tc := range []struct {
		caps []string
		want string
	}{
		{[]string{"userhost-in-names", "multi-prefix"}, "@+alice!alice@peerhood +bob!bob@peerhood"},
		{[]string{"userhost-in-names"}, "@alice!alice@peerhood +bob!bob@peerhood"},
		{[]string{"multi-prefix"}, "@+alice +bob"},
		{nil, "@alice +bob"},
	} {
		t.Run(strings.Join(tc.caps, ","), func(t *testing.T) {
			c := dial(t, s)
			c.register(tc.caps...)
			c.until("366") // the autojoin's
			c.send("NAMES #general")
			if got := c.until("353")[0]; got.Param(3) != tc.want {
				t.Errorf("353 %q, want %q", got.Param(3), tc.want)
			}
			c.send("QUIT")
			c.closed()
		})
	}
}

// TestLabeledLineTooLongForTheReader: a line over MaxRead is not read
// (its tags neither): 417 unlabeled, and the connection goes on.
func TestLabeledLineTooLongForTheReader(t *testing.T) {
	tn := newTestNet(t)
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register("batch", "labeled-response")
	if _, err := io.WriteString(c.conn, "@label=big PING :"+strings.Repeat("x", MaxRead)+"\r\n@label=after PING :ok\r\n"); err != nil {
		t.Fatal(err)
	}
	got := c.until("PONG")
	if len(got) != 2 || got[0].Command != "417" || got[1].Param(1) != "ok" {
		t.Fatalf("%s", dump(got))
	}
	if _, ok := got[0].Get("label"); ok {
		t.Errorf("417 of an unread line labeled: %v", got[0])
	}
	if v, _ := got[1].Get("label"); v != "after" {
		t.Errorf("next PONG's label %q", v)
	}
}

// TestMsgidOnEveryLine: every PRIVMSG and NOTICE a client with
// message-tags gets has a msgid of its own (message-ids: unique): each
// line of a text cut in several (before: the first only), one sent to
// the node's own nick (before: none), in relay and in CHATHISTORY
// alike; a piece's msgid names its message.
func TestMsgidOnEveryLine(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.bob.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register("message-tags", "draft/chathistory", "batch")
	c.send("JOIN #general", "PING :j")
	c.until("PONG")
	text := "first\n" + strings.Repeat("y", 600)
	m, err := tn.bob.Say(t.Context(), "wg-home", "general", text, SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var relayed []Line
	for len(relayed) < 3 {
		if l := c.until("PRIVMSG"); l[len(l)-1].Param(0) == "#general" {
			relayed = append(relayed, l[len(l)-1])
		}
	}
	c.send("PRIVMSG alice :self", "PING :end")
	relayed = append(relayed, c.until("PONG")...)
	c.send("CHATHISTORY LATEST #general * 10", "PING :end")
	history := c.until("PONG")
	for _, tc := range []struct {
		name  string
		lines []Line
		want  int
	}{
		{"relay", relayed, 4},
		{"history", history, 3},
	} {
		ids := map[string]bool{}
		n := 0
		for _, l := range tc.lines {
			if l.Command != "PRIVMSG" && l.Command != "NOTICE" {
				continue
			}
			n++
			id, ok := l.Get("msgid")
			if !ok || ids[id] {
				t.Errorf("%s: msgid %q (seen %v) on %v", tc.name, id, ids[id], l)
			}
			ids[id] = true
			if l.Param(1) == "self" {
				continue
			}
			if _, chatID, ok := parseMsgID(id); !ok || chatID != m.ID {
				t.Errorf("%s: msgid %q names %q, want %q", tc.name, id, chatID, m.ID)
			}
		}
		if n != tc.want {
			t.Errorf("%s: %d lines, want %d: %s", tc.name, n, tc.want, dump(tc.lines))
		}
	}
}

// TestLabelCapturesOnlyTheHandlersLines: while a labeled command is
// handled, a line another goroutine writes to the client (the hub's,
// another client's handler's) is no reply: it goes out unlabeled, never
// in the response's batch; and the client gets the lines in the order
// they were written, as without a label: a line written after the
// reply's first line, held in case it is the only one, opens the
// response's batch so that the reply goes first.
func TestLabelCapturesOnlyTheHandlersLines(t *testing.T) {
	s, err := New(Config{Addr: Off, Backend: newTestNet(t).alice, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	pong := Line{Source: serverName, Command: "PONG", Params: []string{serverName, "a"}}
	meanwhile := Line{Source: "bob!bob@peerhood", Command: "PRIVMSG", Params: []string{"#general", "meanwhile"}}
	for _, tc := range []struct {
		name string
		f    func(c *client, other func())
		want []string
	}{
		{"other first", func(c *client, other func()) { other(); c.send(pong) },
			[]string{":bob!bob@peerhood PRIVMSG #general meanwhile", "@label=x :peerhood PONG peerhood a"}},
		{"reply first", func(c *client, other func()) { c.send(pong); other() },
			[]string{"@label=x :peerhood BATCH +l1 labeled-response", "@batch=l1 :peerhood PONG peerhood a",
				":bob!bob@peerhood PRIVMSG #general meanwhile", ":peerhood BATCH -l1"}},
		{"batch open", func(c *client, other func()) { c.send(pong); c.send(pong); other(); c.send(pong) },
			[]string{"@label=x :peerhood BATCH +l1 labeled-response", "@batch=l1 :peerhood PONG peerhood a", "@batch=l1 :peerhood PONG peerhood a",
				":bob!bob@peerhood PRIVMSG #general meanwhile", "@batch=l1 :peerhood PONG peerhood a", ":peerhood BATCH -l1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := net.Pipe()
			t.Cleanup(func() { a.Close(); b.Close() })
			c := newClient(s, a)
			c.caps["labeled-response"], c.caps["batch"] = true, true
			other := func() {
				done := make(chan struct{})
				go func() { defer close(done); c.send(meanwhile) }()
				<-done
			}
			c.labeled("x", func() { tc.f(c, other) })
			var got []string
			for len(c.out) > 0 {
				got = append(got, (<-c.out).line)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("queued\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestLabeledResponseNestsBatches: a response holding a batch and more
// (a JOIN with its playback) is a labeled-response batch in which the
// inner batch's start and end carry the outer batch's tag and its lines
// keep their own (batch: nested batches).
func TestLabeledResponseNestsBatches(t *testing.T) {
	s, err := New(Config{Addr: Off, Backend: newTestNet(t).alice, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	c := newClient(s, a)
	c.caps["labeled-response"], c.caps["batch"] = true, true
	c.labeled("j", func() {
		c.send(Line{Source: "alice!alice@peerhood", Command: "JOIN", Params: []string{"#general"}})
		inner := c.openBatch("chathistory", "#general")
		c.send(Line{Tags: []Tag{{Key: "batch", Value: inner}}, Source: "bob!bob@peerhood", Command: "PRIVMSG", Params: []string{"#general", "missed"}})
		c.closeBatch(inner)
	})
	want := []string{
		"@label=j :peerhood BATCH +l2 labeled-response",
		"@batch=l2 :alice!alice@peerhood JOIN #general",
		"@batch=l2 :peerhood BATCH +h1 chathistory #general",
		"@batch=h1 :bob!bob@peerhood PRIVMSG #general missed",
		"@batch=l2 :peerhood BATCH -h1",
		":peerhood BATCH -l2",
	}
	var got []string
	for range want {
		got = append(got, (<-c.out).line)
	}
	if !slices.Equal(got, want) {
		t.Errorf("queued\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestEchoWhenTheHubDeliversFirst: a message the bus brings back before
// Say returned is delivered by the hub to the node's other clients, not
// to its sender; the sender's handler then echoes it, as the reply to
// its labeled command (before: the hub wrote the echo, unlabeled).
func TestEchoWhenTheHubDeliversFirst(t *testing.T) {
	tn := newTestNet(t)
	s, err := New(Config{Addr: Off, Backend: tn.alice, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	client := func(caps ...string) *client {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		c := newClient(s, a)
		c.registered, c.nick = true, "alice"
		for _, cp := range caps {
			c.caps[cp] = true
		}
		s.clients[c] = struct{}{}
		return c
	}
	sender, other := client("echo-message", "labeled-response", "batch"), client()
	me, _ := tn.alice.Self("wg-home")
	m := Message{ID: "x1", Workgroup: "wg-home", Author: "alice", AuthorID: me.PeerID, Peer: "bob", Text: "hi", Time: time.Now()}
	p := &pendingSend{origin: sender, wg: "wg-home", target: "bob", text: "hi"}
	forget := s.addPending(p)
	s.deliver(m, nil) // the hub, first
	if len(sender.out) != 0 || len(other.out) != 1 {
		t.Fatalf("after the hub: sender %d lines, other %d; want 0 and 1", len(sender.out), len(other.out))
	}
	sender.labeled("e", func() {
		s.deliver(m, p) // the sender's handler, once Say returned
		if got := forget(); got == nil || got.ID != m.ID {
			t.Errorf("forget returned %v, want the hub's match", got)
		}
	})
	if got := (<-sender.out).line; got != "@label=e :alice!alice@peerhood PRIVMSG bob hi" || len(other.out) != 1 {
		t.Errorf("sender got %q; other has %d lines", got, len(other.out))
	}
}
