package chat_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// waitTopicPeers waits until nd's fan-out sees every other node on the
// room's topic.
func waitTopicPeers(t *testing.T, nd *testnet.Node, wg, room string, others ...*testnet.Node) {
	t.Helper()
	testutil.Eventually(t, testnet.Converge, func() error {
		ps := nd.Chat().TopicPeers(wg, room)
		for _, o := range others {
			if !slices.Contains(ps, o.Host().ID()) {
				return fmt.Errorf("%s does not see %s on %s yet", nd.Name, o.Name, room)
			}
		}
		return nil
	})
}

// openRoom makes alpha create room general, every node join it, and
// waits until each node's fan-out sees the others on its topic.
func openRoom(t *testing.T, net *testnet.Net) string {
	t.Helper()
	a := net.Node("alpha")
	if _, err := a.Chat().CreateRoom(ctxT(t), "office", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	for _, nd := range net.Nodes[1:] {
		waitRoom(t, nd, "office", "general")
		if _, err := nd.Chat().JoinRoom(ctxT(t), "office", "general"); err != nil {
			t.Fatal(err)
		}
	}
	wg := wgID(t, a)
	for _, nd := range net.Nodes {
		var others []*testnet.Node
		for _, o := range net.Nodes {
			if o != nd {
				others = append(others, o)
			}
		}
		waitTopicPeers(t, nd, wg, "general", others...)
	}
	return wg
}

func say(t *testing.T, nd *testnet.Node, room string, texts ...string) {
	t.Helper()
	for _, x := range texts {
		if _, err := nd.Chat().Say(ctxT(t), "office", room, x, chat.SendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func seq(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s %03d", prefix, i))
	}
	return out
}

// In a full mesh every member gets a room message once, by push: the
// author publishes nothing on gossip, receivers take no gossip copy.
// Then the receivers reset their push streams in the middle of a run:
// nothing is lost or duplicated (the author sends what failed by gossip,
// the receivers sync the room with it), and pushes resume.
func TestPushFullMesh(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo", "charlie")
	net.Workgroup("office")
	net.WaitOnline("office")
	openRoom(t, net)
	a, b, c := net.Node("alpha"), net.Node("bravo"), net.Node("charlie")
	first := seq("mesh", 0, 20)
	say(t, a, "general", first...)
	waitTexts(t, net.Nodes, "office", "general", first)
	if got := a.Chat().PushCounts(); got.Gossip != 0 || got.Sent != 40 {
		t.Errorf("author: %+v, want 40 frames pushed and nothing on gossip", got)
	}
	for _, nd := range []*testnet.Node{b, c} {
		got := nd.Chat().PushCounts()
		// Each message came by push (a history sync around the room's
		// join may have brought some a moment before: held already).
		if got.New+got.Dup != 20 || got.New == 0 || got.GossipIn != 0 || got.GossipOfPushed != 0 {
			t.Errorf("%s: %+v, want 20 received by push and no gossip copy", nd.Name, got)
		}
	}

	all := slices.Clone(first)
	for round := range 3 {
		more := seq(fmt.Sprintf("reset%d", round), 0, 30)
		say(t, a, "general", more[:10]...)
		for _, nd := range []*testnet.Node{b, c} {
			nd.Chat().ResetPushIn()
		}
		say(t, a, "general", more[10:]...)
		all = append(all, more...)
	}
	waitTexts(t, net.Nodes, "office", "general", all)
	// After the resets and their backoff, messages go by push again.
	testutil.Eventually(t, testnet.Converge, func() error {
		bn, cn := b.Chat().PushCounts().New, c.Chat().PushCounts().New
		say(t, a, "general", fmt.Sprintf("after %d", len(all)))
		all = append(all, fmt.Sprintf("after %d", len(all)))
		waitTexts(t, net.Nodes, "office", "general", all)
		if b.Chat().PushCounts().New == bn || c.Chat().PushCounts().New == cn {
			return fmt.Errorf("bravo or charlie got no push after the resets")
		}
		return nil
	})
	// A last message right after a reset, none after it (no successor
	// to show a gap): the author sends it by gossip when its write fails,
	// else the receivers' sync at the stream's end brings it (the
	// testnet's anti-entropy, every 3 s, would bring it too: the repair
	// must have run).
	ends := map[*testnet.Node]int64{}
	for _, nd := range []*testnet.Node{b, c} {
		ends[nd] = nd.Chat().PushCounts().EndSyncs
		nd.Chat().ResetPushIn()
	}
	say(t, a, "general", "last")
	all = append(all, "last")
	waitTexts(t, net.Nodes, "office", "general", all)
	for _, nd := range []*testnet.Node{b, c} {
		if nd.Chat().PushCounts().EndSyncs == ends[nd] {
			t.Errorf("%s: %+v, want the room synced at the push stream's end", nd.Name, nd.Chat().PushCounts())
		}
	}
	// charlie's node stops serving push (as an older version): alpha
	// sends by gossip too, and charlie gets the messages live by gossip.
	c.Host().RemoveStreamHandler(p2p.ProtoChatPush)
	testutil.Eventually(t, testnet.Converge, func() error {
		if ps, _ := a.Host().Peerstore().SupportsProtocols(c.Host().ID(), p2p.ProtoChatPush); len(ps) != 0 {
			return fmt.Errorf("alpha still thinks charlie serves push")
		}
		return nil
	})
	gossip0 := a.Chat().PushCounts().Gossip
	testutil.Eventually(t, testnet.Converge, func() error {
		before := c.Chat().PushCounts().GossipIn
		probe := fmt.Sprintf("old %d", len(all))
		say(t, a, "general", probe)
		all = append(all, probe)
		waitTexts(t, net.Nodes, "office", "general", all)
		if c.Chat().PushCounts().GossipIn == before {
			return fmt.Errorf("the message reached charlie by history, not gossip")
		}
		return nil
	})
	if a.Chat().PushCounts().Gossip == gossip0 {
		t.Error("alpha did not publish on gossip for a member without push")
	}
}

// Members in a line for chat (alpha and charlie take nothing from each
// other): alpha cannot push to charlie, so it publishes on gossip too;
// bravo, which took the message by push, forwards the gossip copy
// without verifying or storing it again, and charlie gets it live.
func TestPushLine(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo", "charlie")
	net.Workgroup("office")
	net.WaitOnline("office")
	wg := openRoom(t, net)
	a, b, c := net.Node("alpha"), net.Node("bravo"), net.Node("charlie")
	aid, cid := a.Host().ID(), c.Host().ID()
	a.Chat().CutOffTopics(func(p peer.ID) bool { return p == cid })
	c.Chat().CutOffTopics(func(p peer.ID) bool { return p == aid })
	testutil.Eventually(t, testnet.Converge, func() error {
		if slices.Contains(a.Chat().TopicPeers(wg, "general"), cid) || slices.Contains(c.Chat().TopicPeers(wg, "general"), aid) {
			return fmt.Errorf("alpha and charlie still see each other on the room's topic")
		}
		return nil
	})
	// bravo's mesh takes charlie a heartbeat after they subscribed:
	// alpha says probes until one reaches charlie by gossip.
	var sent []string
	testutil.Eventually(t, testnet.Converge, func() error {
		before := c.Chat().PushCounts().GossipIn
		probe := fmt.Sprintf("probe %d", len(sent))
		say(t, a, "general", probe)
		sent = append(sent, probe)
		waitTexts(t, net.Nodes, "office", "general", sent)
		if c.Chat().PushCounts().GossipIn == before {
			return fmt.Errorf("the probe reached charlie by history, not gossip")
		}
		return nil
	})
	a0, b0, c0 := a.Chat().PushCounts(), b.Chat().PushCounts(), c.Chat().PushCounts()
	msgs := seq("line", 0, 10)
	say(t, a, "general", msgs...)
	sent = append(sent, msgs...)
	waitTexts(t, net.Nodes, "office", "general", sent)
	if got := a.Chat().PushCounts(); got.Gossip-a0.Gossip != 10 || got.Sent-a0.Sent != 10 {
		t.Errorf("author: %+v (before %+v), want 10 pushed (bravo) and 10 published on gossip", got, a0)
	}
	// bravo verifies each message once, whichever copy comes first, and
	// forwards the gossip copy of what it took by push.
	if got := b.Chat().PushCounts(); got.New-b0.New+float64(got.GossipIn-b0.GossipIn) != 10 || got.GossipOfPushed == b0.GossipOfPushed {
		t.Errorf("bravo: %+v (before %+v), want 10 taken (push or gossip), gossip copies of pushed ones forwarded", got, b0)
	}
	if got := c.Chat().PushCounts(); got.New != 0 || got.GossipIn-c0.GossipIn < 5 {
		t.Errorf("charlie: %+v (before %+v), want the messages live by gossip", got, c0)
	}
}
