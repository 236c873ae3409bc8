package ircgw

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRepliesFollowModernIRC: the replies the s8 audit found diverging
// from modern.ircdocs.horse (before: 404 or 442 for a channel that does
// not exist, nothing for NAMES alone, 368 to a ban being set, 421 to
// MOTD, VERSION, TIME, LUSERS, USERHOST, a room created with upper case
// the chat refuses), and the error numerics the issue lists.
func TestRepliesFollowModernIRC(t *testing.T) {
	tn := newTestNet(t)
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register()
	c.send("JOIN #general,#side", "PART #side")
	c.until("PART")
	runReplies(t, tn, c, "", []replyCase{
		{"PART #nope", []string{"403"}, "", nil},
		{"PART #side", []string{"442"}, "", nil},
		{"PRIVMSG #nope :x", []string{"403"}, "", nil},
		{"PRIVMSG #side :x", []string{"404"}, "", nil},
		{"NAMES", []string{"366"}, "*", nil},
		{"MODE #general", []string{"324", "329"}, "", nil},
		{"MODE #general b", []string{"368"}, "", nil},
		{"MODE #general +b x!*@*", []string{"482"}, "", nil},
		{"MODE #general +o bob", []string{"482"}, "", nil},
		{"MODE #general +k key", []string{"472"}, "k", nil},
		{"MODE #general e", []string{"472"}, "e", nil},
		{"MODE nobody", []string{"401"}, "nobody", nil},
		{"MODE bob", []string{"502"}, "", nil},
		{"MODE alice", []string{"221"}, "+", nil},
		{"TOPIC #nope :t", []string{"403"}, "#nope", nil},
		{"TOPIC #side :t", []string{"442"}, "#side", nil},
		{"TOPIC #side", []string{"331"}, "#side", nil},
		// Cut to TOPICLEN and AWAYLEN (each text between spaces).
		{"TOPIC #general :" + strings.Repeat("é", 200) + "\r\nPING :end", []string{"TOPIC", "PONG"}, " " + strings.Repeat("é", 195) + " ", nil},
		{"AWAY :" + strings.Repeat("z", 300) + "\r\nWHOIS alice", []string{"306", "311", "319", "312", "313", "330", "301", "318"}, " " + strings.Repeat("z", 200) + " ", nil},
		{"AWAY", []string{"305"}, "", nil},
		{"USERHOST bob carol nobody", []string{"302"}, "bob=+bob@peerhood", nil},
		{"VERSION\r\nPING :v", []string{"351", "005", "005", "PONG"}, "ELIST=MU", nil},
		{"TIME", []string{"391"}, "", nil},
		{"LUSERS", []string{"251", "255", "265", "266"}, "1 1", nil},
		{"MOTD", []string{"375", "372", "372", "372", "372", "372", "376"}, "", nil},
		{"JOIN #Upper", []string{"JOIN", "331", "353", "366"}, "#upper", nil},
		{"JOIN #lab1/lab", []string{"JOIN", "331", "353", "366"}, "#lab1@lab", nil},
		{"JOIN #x/nolab", []string{"403"}, "", nil},
		{"JOIN #a+b", []string{"476"}, "#a+b", nil},
		{"JOIN #-dash", []string{"476"}, "", nil},
		{"JOIN #" + strings.Repeat("x", 65), []string{"476"}, "", nil},
		{"WHOIS nobody", []string{"401", "318"}, "", nil},
		{"PRIVMSG bob", []string{"412"}, "", nil},
		{"PRIVMSG nobody :x", []string{"401"}, "", nil},
		{"NOTICE #nope :x\r\nNOTICE #side :x\r\nNOTICE nobody :x\r\nNOTICE\r\nPING :n", []string{"PONG"}, "n", nil},
		{"PRIVMSG a,b,c,d,e :x", []string{"407"}, "", nil},
		{"FROB", []string{"421"}, "", nil},
		{"TOPIC", []string{"461"}, "", nil},
		{"PING", []string{"461"}, "", nil},
		{"NICK bob", []string{"433"}, "", nil},
		{"PASS x", []string{"462"}, "", nil},
	})
}

// TestNoJoinForRoomsNotJoined: chat publishes every room directory entry
// (a room created, its access list or topic set) to every node, and a
// mailbox member stores every room's messages; none of them may pull the
// node's IRC clients into a channel of a room the node is not in (before:
// a JOIN burst for each). A message of a room the node joined (here by
// the CLI, not by this client) still does.
func TestNoJoinForRoomsNotJoined(t *testing.T) {
	tn := newTestNet(t)
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register()
	if _, err := tn.bob.CreateRoom(t.Context(), "wg-home", "elsewhere", "", nil); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	for i, m := range []Message{
		{Kind: KindACL},
		{Kind: KindTopic, Text: "bob's topic"},
		{Kind: KindText, Text: "kept by a mailbox member"},
	} {
		m.ID, m.Workgroup, m.Room, m.Author, m.AuthorID, m.Time = fmt.Sprint("dir", i), "wg-home", "elsewhere", "bob", "peer-bob", at
		tn.alice.Bus().Publish("wg-home", m)
	}
	c.send("PING :sentinel")
	for _, l := range c.until("PONG") {
		if l.Command != "PONG" {
			t.Errorf("a client of a node not in #elsewhere got %s", dump([]Line{l}))
		}
	}
	if _, err := tn.alice.JoinRoom(t.Context(), "wg-home", "elsewhere"); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.bob.Say(t.Context(), "wg-home", "elsewhere", "now joined", SendOptions{}); err != nil {
		t.Fatal(err)
	}
	// The hub may still be taking the events published above when the
	// PONG came (it is not the connection's goroutine): the mailbox
	// member's message may then arrive now, the node being in the room.
	var got []Line
	for len(got) == 0 || got[len(got)-1].Param(1) != "now joined" {
		got = append(got, c.until("PRIVMSG")...)
	}
	if j, ok := find(got, "JOIN"); !ok || j.Param(0) != "#elsewhere" {
		t.Errorf("after the node joined: %s", dump(got))
	}
}

// TestListMasks: LIST takes channel names, masks (ELIST=M) and user
// counts (ELIST=U), comma-separated; before, only exact names.
func TestListMasks(t *testing.T) {
	tn := newTestNet(t)
	for _, r := range []struct{ wg, name string }{{"wg-home", "general"}, {"wg-home", "gym"}, {"wg-lab", "ops"}} {
		if _, err := tn.alice.CreateRoom(t.Context(), r.wg, r.name, "", nil); err != nil {
			t.Fatal(err)
		}
	}
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register()
	for _, tc := range []struct{ arg, want string }{
		{"", "#general #gym #ops@lab"},
		{"#g*", "#general #gym"},
		{"#G?M", "#gym"},
		{"*@lab", "#ops@lab"},
		{"#general,#ops@lab", "#general #ops@lab"},
		{"#nope", ""},
		{"<100", "#general #gym #ops@lab"},
		{"#g*,>100", ""},
		{"#gym,<100", "#gym"},
		{strings.Repeat("*", 200) + "x", ""},
	} {
		c.send(strings.TrimSpace("LIST " + tc.arg))
		var got []string
		for _, l := range c.until("323") {
			if l.Command == "322" {
				got = append(got, l.Param(1))
			}
		}
		slices.Sort(got)
		if strings.Join(got, " ") != tc.want {
			t.Errorf("LIST %s: %v, want %s", tc.arg, got, tc.want)
		}
	}
}

// TestNoEmptyPlaybackBatch: joining a room with nothing missed sends no
// empty chathistory batch (before: BATCH +h1 / BATCH -h1 on every join
// of a batch client without draft/chathistory); CHATHISTORY still
// answers an empty batch, as the spec asks.
func TestNoEmptyPlaybackBatch(t *testing.T) {
	tn := newTestNet(t)
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register("batch")
	c.send("JOIN #fresh", "PING :j")
	if b, ok := find(c.until("PONG"), "BATCH"); ok {
		t.Fatalf("a join with nothing missed: %v", b)
	}
	c.send("CHATHISTORY LATEST #fresh * 10", "PING :h")
	if _, ok := find(c.until("PONG"), "BATCH"); !ok {
		t.Fatal("CHATHISTORY with nothing: no batch")
	}
}

// TestReplyTagIsParentMsgID: +draft/reply carries the parent's IRC
// msgid, the one the client was given (before: the bare chat ID, which
// no client could match); the client's reply tag is read back.
func TestReplyTagIsParentMsgID(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.alice.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register("message-tags", "echo-message")
	c.until("366")
	parent, err := tn.bob.Say(t.Context(), "wg-home", "general", "parent", SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pl := c.untilText("parent")
	msgid, _ := pl.Get("msgid")
	if _, err := tn.bob.Say(t.Context(), "wg-home", "general", "bob's reply", SendOptions{Parent: parent.ID}); err != nil {
		t.Fatal(err)
	}
	rl := c.untilText("bob's reply")
	if got, _ := rl.Get("+draft/reply"); got != msgid {
		t.Errorf("bob's reply: +draft/reply=%q, want the parent's msgid %q", got, msgid)
	}
	c.send("@+draft/reply=" + msgid + " PRIVMSG #general :mine")
	ml := c.untilText("mine")
	if got, _ := ml.Get("+draft/reply"); got != msgid {
		t.Errorf("echo of the client's reply: +draft/reply=%q, want %q", got, msgid)
	}
}
