package chat_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// joinRepair bounds how long a member that subscribed again right before
// a message may wait for it: the second sync a heartbeat after the join
// (joinResync, 1.5 s) and its run, well under anti-entropy (15 s), the
// only other repair when the author says nothing more.
const joinRepair = 6 * time.Second

// Authors do not flood-publish on the chat router, so a member that has
// just subscribed again is in no mesh when the author speaks: alpha
// resets its gossip with delta, speaks as soon as its router sees delta
// subscribed again, and says nothing more; delta has the message
// within joinRepair (the sync a heartbeat after the join), in order, once.
func TestRejoinGetsMessageWithoutFlood(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "charlie", "delta")
	net.Workgroup("office")
	net.WaitOnline("office")
	a, d := net.Node("alpha"), net.Node("delta")
	// charlie relays nothing to delta: only alpha can bring it alpha's message.
	d.Chat().CutOff(func(p peer.ID) bool { return p == net.Node("charlie").Host().ID() })
	wg := wgID(t, a)
	if _, err := a.Chat().CreateRoom(ctxT(t), "office", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	for _, nd := range net.Nodes[1:] {
		waitRoom(t, nd, "office", "general")
		if _, err := nd.Chat().JoinRoom(ctxT(t), "office", "general"); err != nil {
			t.Fatal(err)
		}
	}
	topic := chat.Topic(wg, "general")
	for _, nd := range net.Nodes[1:] {
		waitSubscribed(t, net.Nodes[:1], topic, nd.Host().ID(), true)
	}
	var want []string
	for round := range 2 { // gossipsub reopens a reset writer at most 4 times in 10 min
		// As an acl change does (rejudgeRooms), or a move off a relay:
		// both routers drop each other, then meet again.
		a.Host().ResetGossip(d.Host().ID())
		waitSubscribed(t, net.Nodes[:1], topic, d.Host().ID(), true)
		waitSubscribed(t, []*testnet.Node{d}, topic, a.Host().ID(), true)
		// delta's sync at alpha's join has run (it finds nothing): what
		// alpha says now reaches delta by no live path, as neither is in
		// the other's mesh before a heartbeat (alpha's mesh is empty).
		time.Sleep(300 * time.Millisecond)
		txt := fmt.Sprintf("round %d", round)
		if _, err := a.Chat().Say(ctxT(t), "office", "general", txt, chat.SendOptions{}); err != nil {
			t.Fatal(err)
		}
		want = append(want, txt)
		took := testutil.Eventually(t, joinRepair, func() error {
			if got := texts(t, d, "office", "general"); !slices.Equal(got, want) {
				return fmt.Errorf("round %d: delta has %q, want %q", round, got, want)
			}
			return nil
		})
		t.Logf("round %d: delta had it after %v", round, took.Round(time.Millisecond))
	}
}
