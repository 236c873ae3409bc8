package ircgw

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/events"
)

// postN has bob say "m1".."mN" in room and returns the messages.
func postN(t *testing.T, tn *testNet, wg, room string, n int) []Message {
	t.Helper()
	var out []Message
	for i := 1; i <= n; i++ {
		m, err := tn.net.Post(wg, room, "bob", fmt.Sprintf("m%d", i))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// batchTexts reads one chathistory batch and returns its texts; every
// message in it carries the batch tag.
func (c *ircClient) batchTexts() []string {
	c.t.Helper()
	start := c.until("BATCH")
	open := start[len(start)-1]
	if !strings.HasPrefix(open.Param(0), "+") || open.Param(1) != "chathistory" {
		c.t.Fatalf("batch start: %v", open)
	}
	id := open.Param(0)[1:]
	var texts []string
	for {
		l, err := c.read()
		if err != nil {
			c.t.Fatal(err)
		}
		if l.Command == "BATCH" {
			if l.Param(0) != "-"+id {
				c.t.Fatalf("batch end %v, want -%s", l, id)
			}
			return texts
		}
		if b, _ := l.Get("batch"); b != id {
			c.t.Fatalf("message outside batch %s: %v", id, l)
		}
		texts = append(texts, l.Param(1))
	}
}

// TestChathistory: every subcommand with msgid and timestamp references,
// in a batch, oldest first, limits applied, and the errors.
func TestChathistory(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.bob.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	msgs := postN(t, tn, "wg-home", "general", 10)
	if _, err := tn.bob.Direct(t.Context(), "wg-home", "alice", "dm1", SendOptions{}); err != nil {
		t.Fatal(err)
	}
	s := startGateway(t, tn.alice, nil)
	c := dial(t, s)
	c.register("batch", "server-time", "message-tags", "draft/chathistory")
	// s16: only a channel joined is a target (testInvalidTargets below).
	if _, err := tn.bob.CreateRoom(t.Context(), "wg-home", "elsewhere", "", nil); err != nil {
		t.Fatal(err)
	}
	c.send("JOIN #general")
	c.until("366")
	id := func(i int) string { return "msgid=" + ircMsgID(msgs[i-1]) }
	ts := func(i int) string { return "timestamp=" + msgs[i-1].Time.Format(timeFormat) }
	cases := []struct {
		line string
		want string
	}{
		{"LATEST #general * 3", "m8 m9 m10"},
		{"LATEST #general " + id(7) + " 10", "m8 m9 m10"},
		{"BEFORE #general " + id(5) + " 2", "m3 m4"},
		{"BEFORE #general " + ts(5) + " 2", "m3 m4"},
		{"AFTER #general " + id(5) + " 2", "m6 m7"},
		{"AFTER #general " + id(9) + " 5", "m10"},
		{"AROUND #general " + id(5) + " 4", "m3 m4 m5 m6"},
		{"BETWEEN #general " + id(2) + " " + id(6) + " 10", "m3 m4 m5"},
		{"BETWEEN #general " + id(6) + " " + id(2) + " 2", "m4 m5"},
		{"LATEST bob * 10", "dm1"},
		{"LATEST #general * 0", "m1 m2 m3 m4 m5 m6 m7 m8 m9 m10"},
	}
	for _, tc := range cases {
		c.send("CHATHISTORY " + tc.line)
		if got := strings.Join(c.batchTexts(), " "); got != tc.want {
			t.Errorf("CHATHISTORY %s: %q, want %q", tc.line, got, tc.want)
		}
	}
	for _, tc := range []struct{ line, code string }{
		{"LATEST #nope * 3", "INVALID_TARGET"},
		{"LATEST #elsewhere * 3", "INVALID_TARGET"}, // a room not joined (irctest's testInvalidTargets); was its history
		{"LATEST nobody * 3", "INVALID_TARGET"},
		{"BEFORE #general * 3", "INVALID_PARAMS"},
		{"AFTER #general msgid=garbage 3", "INVALID_PARAMS"},
		{"TARGETS x y 3", "INVALID_PARAMS"},
		{"LATEST #general", "NEED_MORE_PARAMS"},
		{"BETWEEN #general " + id(1) + " 3", "NEED_MORE_PARAMS"},
		{"TARGETS " + id(1), "NEED_MORE_PARAMS"},
		{"", "NEED_MORE_PARAMS"},
		{"FROB #general * 3", "UNKNOWN_COMMAND"},
		{"LATEST #general * many", "INVALID_PARAMS"},
		{"AROUND #general timestamp=yesterday 3", "INVALID_PARAMS"},
	} {
		c.send(strings.TrimSpace("CHATHISTORY " + tc.line))
		got := c.until("FAIL")
		if f := got[len(got)-1]; f.Param(1) != tc.code {
			t.Errorf("CHATHISTORY %s: %v, want %s", tc.line, f, tc.code)
		}
	}
}

// msBackend gives times at chat's precision: a message's time is its
// millisecond, and History's bounds compare milliseconds (Since: from the
// start of its millisecond; Before: before the start of its millisecond).
type msBackend struct{ *MemoryNode }

func toMS(m Message) Message { m.Time = m.Time.Truncate(time.Millisecond); return m }

func (b msBackend) History(ctx context.Context, wg string, q HistoryQuery) ([]Message, error) {
	q.Since, q.Before = q.Since.Truncate(time.Millisecond), q.Before.Truncate(time.Millisecond)
	ms, err := b.MemoryNode.History(ctx, wg, q)
	for i := range ms {
		ms[i] = toMS(ms[i])
	}
	return ms, err
}

func (b msBackend) DecodeMessage(ev events.Event) (Message, error) {
	m, err := b.MemoryNode.DecodeMessage(ev)
	return toMS(m), err
}

// sameMillisecondNet is a network whose messages all fall in one
// millisecond (each 1 µs after the last), with room general joined by
// alice and bob.
func sameMillisecondNet(t *testing.T) (*MemoryNet, *MemoryNode) {
	at := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	n := NewMemoryNet(func() time.Time { return at })
	n.AddWorkgroup("wg-home", "home")
	alice, bob := n.Node("alice", true, "wg-home"), n.Node("bob", false, "wg-home")
	t.Cleanup(alice.Close)
	t.Cleanup(bob.Close)
	if _, err := alice.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	return n, alice
}

// TestPlaybackSameMillisecond: the last-seen mark tells which message of
// an instant was seen: what came after it in the same millisecond is
// played back, what came before is not.
func TestPlaybackSameMillisecond(t *testing.T) {
	n, alice := sameMillisecondNet(t)
	s := startGateway(t, alice, func(c *Config) { c.Backend = msBackend{alice} })
	c := dial(t, s)
	c.register()
	c.until("366")
	for _, txt := range []string{"m1", "m2"} {
		if _, err := n.Post("wg-home", "general", "bob", txt); err != nil {
			t.Fatal(err)
		}
	}
	c.untilText("m2")
	c.quit(s)
	for _, txt := range []string{"m3", "m4"} {
		if _, err := n.Post("wg-home", "general", "bob", txt); err != nil {
			t.Fatal(err)
		}
	}
	if texts := replayed(t, s); strings.Join(texts, " ") != "m3 m4" {
		t.Fatalf("playback %q, want m3 m4", texts)
	}
}

// TestChathistorySameMillisecond: with chat's millisecond times and ten
// messages in one millisecond, msgid references still select by message,
// not by instant.
func TestChathistorySameMillisecond(t *testing.T) {
	n, alice := sameMillisecondNet(t)
	var msgs []Message
	for i := 1; i <= 10; i++ {
		m, err := n.Post("wg-home", "general", "bob", fmt.Sprintf("m%d", i))
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, toMS(m))
	}
	s := startGateway(t, alice, func(c *Config) { c.Backend = msBackend{alice} })
	c := dial(t, s)
	c.register("batch", "server-time", "message-tags", "draft/chathistory")
	c.send("JOIN #general") // s16: only a channel joined is a target
	c.until("366")
	id := func(i int) string { return "msgid=" + ircMsgID(msgs[i-1]) }
	for _, tc := range []struct{ line, want string }{
		{"LATEST #general " + id(7) + " 10", "m8 m9 m10"},
		{"BEFORE #general " + id(5) + " 2", "m3 m4"},
		{"AFTER #general " + id(5) + " 2", "m6 m7"},
		{"AROUND #general " + id(5) + " 4", "m3 m4 m5 m6"},
		{"BETWEEN #general " + id(2) + " " + id(6) + " 10", "m3 m4 m5"},
		{"BETWEEN #general " + id(6) + " " + id(2) + " 2", "m4 m5"},
	} {
		c.send("CHATHISTORY " + tc.line)
		if got := strings.Join(c.batchTexts(), " "); got != tc.want {
			t.Errorf("CHATHISTORY %s: %q, want %q", tc.line, got, tc.want)
		}
	}
}

// TestPlaybackOnJoin: a client without draft/chathistory gets, on
// registration, the messages it missed since its last visit (per USER
// name) in a batch, and only those; a first visit gets the last
// Config.Playback.
func TestPlaybackOnJoin(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.alice.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	postN(t, tn, "wg-home", "general", 5)
	s := startGateway(t, tn.alice, func(c *Config) { c.Playback = 3 })
	c := dial(t, s)
	c.send("CAP LS 302", "CAP REQ :batch", "PASS "+testToken, "NICK a", "USER tester 0 * :r", "CAP END")
	c.until("376")
	c.until("366") // the room this node is in is joined at once
	if got := strings.Join(c.batchTexts(), " "); got != "m3 m4 m5" {
		t.Fatalf("first visit playback %q, want the last 3", got)
	}
	live, err := tn.net.Post("wg-home", "general", "bob", "live")
	if err != nil {
		t.Fatal(err)
	}
	if m := c.untilText("live"); len(m.Tags) != 0 {
		t.Errorf("tags without server-time or message-tags: %v", m)
	}
	c.quit(s)
	for _, txt := range []string{"missed1", "missed2"} {
		if _, err := tn.net.Post("wg-home", "general", "bob", txt); err != nil {
			t.Fatal(err)
		}
	}
	_ = live
	// Same USER: only what it missed. Without batch: plain lines.
	if texts := replayed(t, s); strings.Join(texts, " ") != "missed1 missed2" {
		t.Fatalf("second visit playback %q, want the two missed", texts)
	}
}

// TestMsgIDRoundTrip: an IRC msgid carries its message's time and chat
// ID.
func TestMsgIDRoundTrip(t *testing.T) {
	m := Message{ID: "abc~def", Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}
	at, id, ok := parseMsgID(ircMsgID(m))
	if !ok || id != m.ID || !at.Equal(m.Time) {
		t.Fatalf("%v %q %v", at, id, ok)
	}
	// A piece's msgid (a line of a text cut in several) names its message.
	at, id, ok = parseMsgID(pieceMsgID(m, 2))
	if !ok || id != m.ID || !at.Equal(m.Time) || pieceMsgID(m, 2) == ircMsgID(m) {
		t.Fatalf("piece: %v %q %v", at, id, ok)
	}
	for _, bad := range []string{"", "nodelim", "~x", "zz!~x", "1~"} {
		if _, _, ok := parseMsgID(bad); ok {
			t.Errorf("parseMsgID(%q) accepted", bad)
		}
	}
}

// TestMarksSurviveRestart: with a MarksFile, a client's last-seen marks
// outlive the gateway: after a restart it is played back only what it
// missed, not the last Config.Playback again.
func TestMarksSurviveRestart(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.alice.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	postN(t, tn, "wg-home", "general", 3)
	marks := filepath.Join(t.TempDir(), "irc-marks.json")
	s := startGateway(t, tn.alice, func(c *Config) { c.MarksFile = marks })
	c := dial(t, s)
	c.register()
	c.untilText("m3")
	c.quit(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.net.Post("wg-home", "general", "bob", "after restart"); err != nil {
		t.Fatal(err)
	}
	s = startGateway(t, tn.alice, func(c *Config) { c.MarksFile = marks })
	c = dial(t, s)
	c.register()
	c.until("366")
	c.send("PING :end")
	var texts []string
	for _, l := range c.until("PONG") {
		if l.Command == "PRIVMSG" {
			texts = append(texts, l.Param(1))
		}
	}
	if strings.Join(texts, " ") != "after restart" {
		t.Fatalf("playback after restart %q, want only the missed message", texts)
	}
}

// replayed registers a new client of s (same USER as before, no
// capabilities) and returns the texts of the PRIVMSG lines it is played
// back once its rooms are joined.
func replayed(t *testing.T, s *Server) []string {
	t.Helper()
	c := dial(t, s)
	c.register()
	c.until("366")
	c.send("PING :end")
	var texts []string
	for _, l := range c.until("PONG") {
		if l.Command == "PRIVMSG" {
			texts = append(texts, l.Param(1))
		}
	}
	return texts
}
