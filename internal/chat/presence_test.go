package chat_test

import (
	"fmt"
	"testing"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// History, rooms and unread, as the control API answers them, carry each
// author's (and conversation's member's) presence now, from the presence
// service the daemon joins to chat: online, then away once set.
func TestHistoryPresence(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo")
	net.Workgroup("office")
	net.WaitOnline("office")
	ctx := ctxT(t)
	a, b := net.Node("alpha"), net.Node("bravo")
	if _, err := a.Chat().CreateRoom(ctx, "office", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Chat().Say(ctx, "office", "general", "hi", chat.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	history := func() string {
		var ms []apitypes.ChatMessage
		a.Must("GET", "/v1/chat/history?workgroup=office&room=general", nil, &ms)
		if len(ms) == 0 {
			t.Fatal("no history")
		}
		return ms[len(ms)-1].Presence
	}
	if got := history(); got != "online" {
		t.Fatalf("alpha's line in history: presence %q, want online", got)
	}
	a.Must("POST", "/v1/presence", apitypes.PresenceRequest{State: "away"}, nil)
	if got := history(); got != "away" {
		t.Fatalf("after AWAY: presence %q, want away", got)
	}
	var rs []apitypes.Room
	a.Must("GET", "/v1/rooms?workgroup=office", nil, &rs)
	if len(rs) != 1 || rs[0].CreatorPresence != "away" {
		t.Fatalf("room ls: %+v, want creator alpha away", rs)
	}
	// The room's members: bare names as before, and with presence.
	var names []string
	a.Must("GET", "/v1/rooms/general/members?workgroup=office", nil, &names)
	var who []apitypes.RoomMember
	a.Must("GET", "/v1/rooms/general/who?workgroup=office", nil, &who)
	if len(names) != 1 || names[0] != "alpha" || len(who) != 1 || who[0] != (apitypes.RoomMember{Name: "alpha", Presence: "away"}) {
		t.Fatalf("members %q, who %+v: want alpha, and alpha away", names, who)
	}
	if _, err := b.Chat().Direct(ctx, "office", "alpha", "ping", chat.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, testnet.Converge, func() error {
		var us []apitypes.ChatUnread
		a.Must("GET", "/v1/chat/unread?workgroup=office", nil, &us)
		for _, u := range us {
			if u.Peer == "bravo" && u.Presence == "online" {
				return nil
			}
		}
		return fmt.Errorf("unread %+v: no @bravo (online)", us)
	})
}
