package ircgw_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/ircgw"
	"github.com/peerhood/peerhood/internal/testnet"
)

// TestInviteKickOverChat: over the real chat service on two whole nodes,
// alpha's INVITE adds bravo to a restricted room's access list, and
// bravo's client, on its own node, gets INVITE (from room.changed); once
// in, alpha's KICK removes bravo from the list and bravo's client gets
// KICK. The list never becomes empty (which would open the room).
func TestInviteKickOverChat(t *testing.T) {
	t.Setenv("PEERHOOD_IRC_ADDR", "127.0.0.1:0")
	nw := testnet.New(t, "alpha", "bravo")
	nw.Workgroup("office")
	nw.WaitOnline("office")
	alpha := nw.Node("alpha")
	if _, err := alpha.Chat().CreateRoom(t.Context(), "office", "ops", "", []string{"alpha"}); err != nil {
		t.Fatal(err)
	}
	a := ircDial(t, alpha, "multi-prefix")
	b := ircDial(t, nw.Node("bravo"), "multi-prefix")
	a.send("JOIN #ops")
	a.until(func(l ircgw.Line) bool { return l.Command == "366" })
	a.send("INVITE bravo #ops")
	a.until(func(l ircgw.Line) bool { return l.Command == "341" })
	inv := b.until(func(l ircgw.Line) bool { return l.Command == "INVITE" })
	if !strings.HasPrefix(inv.Source, "alpha!") || inv.Param(1) != "#ops" {
		t.Fatalf("bravo's client got INVITE %+v", inv)
	}
	b.send("JOIN #ops")
	b.until(func(l ircgw.Line) bool { return l.Command == "366" })
	a.send("KICK #ops bravo :bye")
	a.until(func(l ircgw.Line) bool { return l.Command == "KICK" })
	kick := b.until(func(l ircgw.Line) bool { return l.Command == "KICK" })
	if kick.Param(0) != "#ops" || kick.Param(1) != "bravo" {
		t.Fatalf("bravo's client got KICK %+v", kick)
	}
	rs, err := alpha.Chat().Rooms("office")
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(rs, func(r chat.Room) bool { return r.Name == "ops" })
	if i < 0 || !slices.Equal(rs[i].Allow, []string{"alpha"}) {
		t.Fatalf("ops after KICK: %+v", rs)
	}
}
