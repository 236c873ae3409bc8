package ircgw

import (
	"strings"
	"testing"
	"time"
)

// privmsgsAfterRegistration registers a client with caps and returns the
// texts of the PRIVMSG lines it gets before its PING is answered (with
// their sources).
func privmsgsAfterRegistration(t *testing.T, s *Server, caps ...string) []string {
	t.Helper()
	c := dial(t, s)
	c.register(caps...)
	c.send("PING :end")
	var out []string
	for _, l := range c.until("PONG") {
		if l.Command == "PRIVMSG" {
			out = append(out, strings.SplitN(l.Source, "!", 2)[0]+">"+l.Param(0)+":"+l.Param(1))
		}
	}
	c.quit(s)
	return out
}

// TestDirectPlayback: a client without draft/chathistory is played back,
// at registration, the direct messages it missed, per conversation
// (first visit: those still unread; then: those after its last-seen
// mark, in every workgroup); a client with draft/chathistory is not.
func TestDirectPlayback(t *testing.T) {
	tn := newTestNet(t)
	dm := func(wg, text string) {
		if _, err := tn.bob.Direct(t.Context(), wg, "alice", text, SendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	dm("wg-home", "d1")
	if _, err := tn.alice.Direct(t.Context(), "wg-home", "bob", "mine", SendOptions{}); err != nil {
		t.Fatal(err)
	}
	dm("wg-home", "d2")
	dm("wg-lab", "l1")
	s := startGateway(t, tn.alice, nil)
	steps := []struct {
		name   string
		before []string // wg:text bob sends alice first
		caps   []string
		want   string
	}{
		{name: "first visit: the unread ones", want: "bob>alice:d1 bob>alice:d2 bob/lab>alice:l1"},
		{name: "nothing missed", want: ""},
		{name: "missed while away", before: []string{"wg-home:d3", "wg-lab:l2"}, want: "bob>alice:d3 bob/lab>alice:l2"},
		{name: "with draft/chathistory: none", before: []string{"wg-home:d4"}, caps: []string{"draft/chathistory"}, want: ""},
		{name: "back without it", want: "bob>alice:d4"},
	}
	for _, st := range steps {
		for _, b := range st.before {
			wg, text, _ := strings.Cut(b, ":")
			dm(wg, text)
		}
		if got := strings.Join(privmsgsAfterRegistration(t, s, st.caps...), " "); got != st.want {
			t.Errorf("%s: played back %q, want %q", st.name, got, st.want)
		}
	}
}

// TestChathistoryTargets: CHATHISTORY TARGETS lists the channels and
// nicks with messages between two timestamps (either order: the
// direction of the answer), each with its latest message's time, at most
// limit, in a draft/chathistory-targets batch.
func TestChathistoryTargets(t *testing.T) {
	tn := newTestNet(t)
	for _, r := range []struct{ wg, name string }{{"wg-home", "general"}, {"wg-lab", "ops"}} {
		if _, err := tn.alice.CreateRoom(t.Context(), r.wg, r.name, "", nil); err != nil {
			t.Fatal(err)
		}
	}
	post := func(wg, room, text string) Message {
		m, err := tn.net.Post(wg, room, "bob", text)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	post("wg-home", "general", "m1")
	m2 := post("wg-home", "general", "m2")
	d1, err := tn.bob.Direct(t.Context(), "wg-home", "alice", "d1", SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m3 := post("wg-home", "general", "m3")
	o1 := post("wg-lab", "ops", "o1")
	ts := func(at time.Time) string { return "timestamp=" + at.UTC().Format(timeFormat) }
	past, future := ts(time.Now().Add(-24*time.Hour)), ts(time.Now().Add(24*time.Hour))
	at := func(m Message) string { return m.Time.UTC().Format(timeFormat) }
	s := startGateway(t, tn.alice, nil)
	c := dial(t, s)
	c.register("batch", "server-time", "message-tags", "draft/chathistory")
	cases := []struct {
		line string
		want string
	}{
		{past + " " + future + " 10", "bob@" + at(d1) + " #general@" + at(m3) + " #ops@lab@" + at(o1)},
		{future + " " + past + " 10", "#ops@lab@" + at(o1) + " #general@" + at(m3) + " bob@" + at(d1)},
		{past + " " + future + " 2", "bob@" + at(d1) + " #general@" + at(m3)},
		{future + " " + past + " 1", "#ops@lab@" + at(o1)},
		{past + " " + ts(d1.Time) + " 10", "#general@" + at(m2)}, // the later bound is exclusive
		{ts(o1.Time.Add(time.Second)) + " " + future + " 10", ""},
	}
	for _, tc := range cases {
		c.send("CHATHISTORY TARGETS " + tc.line)
		lines := c.until("BATCH")
		open := lines[len(lines)-1]
		if open.Param(1) != "draft/chathistory-targets" {
			t.Fatalf("TARGETS %s: batch %v", tc.line, open)
		}
		var got []string
		for {
			l, err := c.read()
			if err != nil {
				t.Fatal(err)
			}
			if l.Command == "BATCH" {
				break
			}
			if b, _ := l.Get("batch"); l.Command != "CHATHISTORY" || l.Param(0) != "TARGETS" || b != open.Param(0)[1:] {
				t.Fatalf("TARGETS %s: line %v", tc.line, l)
			}
			got = append(got, l.Param(1)+"@"+l.Param(2))
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("CHATHISTORY TARGETS %s:\n got %q\nwant %q", tc.line, g, tc.want)
		}
	}
	c.send("CHATHISTORY TARGETS " + past + " msgid=x 3")
	if f := c.until("FAIL"); f[len(f)-1].Param(1) != "INVALID_PARAMS" {
		t.Errorf("a msgid bound: %v", f[len(f)-1])
	}
}

// TestChathistoryAllDirect: CHATHISTORY's target "*" is every direct
// conversation (of every workgroup) at once, merged by time, each
// subcommand's limit taken the way it reads; room messages are not in
// it (before: FAIL INVALID_TARGET).
func TestChathistoryAllDirect(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.alice.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	msg := map[string]Message{}
	send := func(from *MemoryNode, wg, to, text string) {
		m, err := from.Direct(t.Context(), wg, to, text, SendOptions{})
		if err != nil {
			t.Fatal(err)
		}
		msg[text] = m
	}
	send(tn.bob, "wg-home", "alice", "d1")
	send(tn.bob, "wg-lab", "alice", "l1")
	if _, err := tn.net.Post("wg-home", "general", "bob", "in the room"); err != nil {
		t.Fatal(err)
	}
	send(tn.alice, "wg-home", "bob", "a1")
	send(tn.bob, "wg-home", "alice", "d2")
	ts := func(k string) string { return "timestamp=" + msg[k].Time.UTC().Format(timeFormat) }
	id := func(k string) string { return "msgid=" + ircMsgID(msg[k]) }
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register("batch", "server-time", "message-tags", "draft/chathistory")
	for _, tc := range []struct{ line, want string }{
		{"LATEST * * 10", "d1 l1 a1 d2"},
		{"LATEST * * 2", "a1 d2"},
		{"LATEST * " + ts("d1") + " 10", "l1 a1 d2"},
		{"AFTER * " + ts("d1") + " 2", "l1 a1"},
		{"BEFORE * " + id("d2") + " 10", "d1 l1 a1"},
		{"BETWEEN * " + ts("d1") + " " + ts("d2") + " 10", "l1 a1"},
		{"BETWEEN * " + ts("d2") + " " + ts("d1") + " 1", "a1"},
		{"AROUND * " + id("l1") + " 3", "d1 l1 a1"},
	} {
		c.send("CHATHISTORY " + tc.line)
		if got := strings.Join(c.batchTexts(), " "); got != tc.want {
			t.Errorf("CHATHISTORY %s: %q, want %q", tc.line, got, tc.want)
		}
	}
}
