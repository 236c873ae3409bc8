package ircgw

import (
	"slices"
	"strings"
	"testing"
)

// replyCase is one line and the replies it gets: their commands in
// order, a text in their parameters, and a room's list after it.
type replyCase struct {
	line  string
	want  []string
	text  string
	allow []string // ops' list after the line (nil: not checked)
}

// runReplies sends each case's line on c and checks its replies (and,
// where the case has allow, alice's list of room).
func runReplies(t *testing.T, tn *testNet, c *ircClient, room string, cases []replyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			c.send(tc.line)
			got := c.until(tc.want[len(tc.want)-1])
			var cmds []string
			all := ""
			for _, l := range got {
				cmds = append(cmds, l.Command)
				all += " " + strings.Join(l.Params, " ")
			}
			if strings.Join(cmds, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("replies %v, want %v: %s", cmds, tc.want, dump(got))
			}
			if !strings.Contains(all, tc.text) {
				t.Errorf("replies lack %q: %s", tc.text, dump(got))
			}
			if tc.allow == nil {
				return
			}
			rs, _ := tn.alice.Rooms("wg-home")
			i := slices.IndexFunc(rs, func(r Room) bool { return r.Name == room })
			if i < 0 || !slices.Equal(rs[i].Allow, tc.allow) {
				t.Errorf("%s's list %+v, want %q", room, rs, tc.allow)
			}
		})
	}
}

// TestInviteKick: INVITE and KICK change a restricted room's access list
// when the member is its creator or an admin, with the numerics of
// modern.ircdocs.horse (before: 421 for both).
func TestInviteKick(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.alice.CreateRoom(t.Context(), "wg-home", "ops", "", []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register()
	c.send("JOIN #general,#side,#ops", "PART #side")
	c.until("PART")
	runReplies(t, tn, c, "ops", []replyCase{
		{"INVITE carol #ops", []string{"341"}, "carol #ops", []string{"bob", "carol"}},
		{"INVITE carol #ops", []string{"443"}, "already", []string{"bob", "carol"}},
		{"INVITE alice #ops", []string{"443"}, "already", nil},
		{"INVITE nobody #ops", []string{"401"}, "nobody", nil},
		{"INVITE carol #nope", []string{"403"}, "#nope", nil},
		{"INVITE carol #side", []string{"442"}, "#side", nil},
		{"INVITE carol #general", []string{"443"}, "open to every member", nil},
		{"INVITE carol", []string{"461"}, "INVITE", nil},
		{"KICK #ops carol :bye", []string{"KICK"}, "#ops carol bye", []string{"bob"}},
		{"KICK #ops carol", []string{"441"}, "does not name", []string{"bob"}},
		{"KICK #ops alice", []string{"441"}, "created", nil},
		{"KICK #general bob", []string{"NOTICE"}, "open to every member", nil},
		{"KICK #nope bob", []string{"403"}, "#nope", nil},
		{"KICK #side bob", []string{"442"}, "#side", nil},
		{"KICK #ops nobody", []string{"401"}, "nobody", nil},
		{"KICK #ops", []string{"461"}, "KICK", nil},
		// The last one named: the list names the creator, not no one
		// (which would open the room).
		{"KICK #ops bob", []string{"KICK"}, "#ops bob alice", []string{"alice"}},
	})

	// bob is in a room alice created and is no admin: 482.
	if _, err := tn.alice.CreateRoom(t.Context(), "wg-home", "team", "", []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	b := dial(t, startGateway(t, tn.bob, nil))
	b.register()
	b.send("JOIN #team")
	b.until("366")
	runReplies(t, tn, b, "team", []replyCase{
		{"INVITE carol #team", []string{"482"}, "creator or an admin", []string{"bob"}},
		{"KICK #team bob", []string{"482"}, "creator or an admin", []string{"bob"}},
	})
}

// TestInviteKickReachMember: the member alice invites or kicks hears it
// on its own node's gateway: INVITE to its clients outside the channel,
// then, once it joined, KICK to its clients in it (they leave it). A
// group entry admits that group's members: bob's keeps him, another's
// kicks him.
func TestInviteKickReachMember(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.alice.CreateRoom(t.Context(), "wg-home", "ops", "", []string{"carol"}); err != nil {
		t.Fatal(err)
	}
	a := dial(t, startGateway(t, tn.alice, nil))
	a.register()
	b := dial(t, startGateway(t, tn.bob, nil))
	b.register()
	a.send("JOIN #ops")
	a.until("366")
	a.send("INVITE bob #ops")
	a.until("341")
	inv := b.until("INVITE")
	if l := inv[len(inv)-1]; l.Source != "alice!alice@peerhood" || strings.Join(l.Params, " ") != "bob #ops" {
		t.Fatalf("bob's client got %s", dump(inv[len(inv)-1:]))
	}
	b.send("JOIN #ops")
	b.until("366")
	a.send("KICK #ops bob :enough")
	a.until("KICK")
	kick := b.until("KICK")
	if l := kick[len(kick)-1]; strings.Join(l.Params[:2], " ") != "#ops bob" {
		t.Fatalf("bob's client got %s", dump(kick[len(kick)-1:]))
	}
	b.send("PRIVMSG #ops :still here?")
	if got := b.until("404"); got[len(got)-1].Param(1) != "#ops" {
		t.Fatalf("after KICK: %s", dump(got))
	}
	// A list admitting bob through a group he is in keeps him (no KICK);
	// one whose group he is not in kicks him.
	tn.net.SetGroups("bob", "staff")
	if _, err := tn.alice.SetAllow(t.Context(), "wg-home", "ops", []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	b.until("INVITE")
	b.send("JOIN #ops")
	b.until("366")
	if _, err := tn.alice.SetAllow(t.Context(), "wg-home", "ops", []string{"group:staff"}); err != nil {
		t.Fatal(err)
	}
	// The hub takes bus events in order: the message comes after the
	// list's change was handled.
	if _, err := tn.alice.Say(t.Context(), "wg-home", "ops", "still in", SendOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, l := range b.until("PRIVMSG") {
		if l.Command == "KICK" || l.Command == "INVITE" {
			t.Fatalf("group entry bob is in: %s", dump([]Line{l}))
		}
	}
	if _, err := tn.alice.SetAllow(t.Context(), "wg-home", "ops", []string{"group:ops"}); err != nil {
		t.Fatal(err)
	}
	if kick := b.until("KICK"); kick[len(kick)-1].Param(1) != "bob" {
		t.Fatalf("group entry bob is not in: %s", dump(kick))
	}
}

// TestInviteNotify: a member a restricted room's list newly names is
// told, as ":adder INVITE nick #room", to this node's clients in the
// channel that have invite-notify, whoever added it (this node's client
// or a change heard on the bus), but the client whose INVITE it was: it
// had 341 (before: it got its own INVITE back as well). A group entry,
// or a list that was open, invites no one.
func TestInviteNotify(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.alice.CreateRoom(t.Context(), "wg-home", "ops", "", []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	s := startGateway(t, tn.alice, nil)
	inviter := dial(t, s)
	inviter.register("invite-notify")
	other := dial(t, s)
	other.register("invite-notify")
	plain := dial(t, s)
	plain.register()
	inviter.send("JOIN #ops")
	for _, c := range []*ircClient{inviter, other, plain} {
		c.until("366")
	}
	inviter.send("INVITE carol #ops")
	inviter.until("341")
	got := other.until("INVITE")
	if l := got[len(got)-1]; l.Source != "alice!alice@peerhood" || strings.Join(l.Params, " ") != "carol #ops" {
		t.Fatalf("the other client's invite-notify: %s", dump(got))
	}
	// A group entry and the list made open: no INVITE; then the list
	// restricted again with a new name (a change not made by a client):
	// one, to both clients with the capability.
	for _, allow := range [][]string{{"bob", "carol", "group:staff"}, nil, {"bob"}, {"bob", "carol"}} {
		if _, err := tn.alice.SetAllow(t.Context(), "wg-home", "ops", allow); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tn.alice.Say(t.Context(), "wg-home", "ops", "after", SendOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    *ircClient
		want string
	}{{inviter, "carol"}, {other, "carol"}, {plain, ""}} {
		var invites []string
		for _, l := range tc.c.until("PRIVMSG") {
			if l.Command == "INVITE" {
				invites = append(invites, l.Param(0))
			}
		}
		if strings.Join(invites, " ") != tc.want {
			t.Errorf("INVITEs %v, want %q (the inviter none of its own, the last list's one)", invites, tc.want)
		}
	}
}
