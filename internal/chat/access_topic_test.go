package chat_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// rawSub is a subscription to a topic made straight on a node's router,
// as a modified node would, bypassing the chat service's checks.
type rawSub struct {
	name string
	data chan []byte
}

func rawJoin(t *testing.T, nd *testnet.Node, topic string) *rawSub {
	t.Helper()
	ps, err := nd.Host().ChatPubSub()
	if err != nil {
		t.Fatal(err)
	}
	tp, err := ps.Join(topic)
	if err != nil {
		t.Fatalf("%s: join %s: %v", nd.Name, topic, err)
	}
	sub, err := tp.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rs := &rawSub{name: nd.Name + " " + topic, data: make(chan []byte, 256)}
	go func() {
		for {
			m, err := sub.Next(ctx)
			if err != nil {
				return
			}
			rs.data <- m.Data
		}
	}()
	t.Cleanup(func() { cancel(); sub.Cancel(); _ = tp.Close() })
	return rs
}

// got reports whether the subscription receives a message holding text
// within d.
func (rs *rawSub) got(text string, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	for {
		select {
		case b := <-rs.data:
			if bytes.Contains(b, []byte(text)) {
				return true
			}
		case <-tm.C:
			return false
		}
	}
}

// waitSubscribed waits until the router of every node in on lists p as a
// subscriber of topic (want) or none does (!want).
func waitSubscribed(t *testing.T, on []*testnet.Node, topic string, p peer.ID, want bool) {
	t.Helper()
	testutil.Eventually(t, testnet.Converge, func() error {
		for _, nd := range on {
			ps, _ := nd.Host().ChatPubSub()
			if slices.Contains(ps.ListPeers(topic), p) != want {
				return fmt.Errorf("%s: %s subscribed to %s: %v", nd.Name, p, topic, !want)
			}
		}
		return nil
	})
}

// A restricted room's topic is sent only to the members its access list
// lets in, whatever they subscribe to on their router: charlie (never
// allowed) joins the topic straight on its router and receives none of
// the room's messages; delta (allowed, then removed by an acl change)
// receives them until its removal and nothing after. Each phase ends
// with a message on an open room that every raw subscriber receives, so
// a missing message is not a slow one.
func TestRoomTopicAdmission(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo", "charlie", "delta")
	net.Workgroup("office")
	net.WaitOnline("office")
	a, c, d := net.Node("alpha"), net.Node("charlie"), net.Node("delta")
	wg := wgID(t, a)
	if _, err := a.Chat().CreateRoom(ctxT(t), "office", "open", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Chat().CreateRoom(ctxT(t), "office", "secret", "", []string{"bravo", "delta"}); err != nil {
		t.Fatal(err)
	}
	for _, nd := range net.Nodes {
		waitRoom(t, nd, "office", "secret")
	}
	if _, err := net.Node("bravo").Chat().JoinRoom(ctxT(t), "office", "secret"); err != nil {
		t.Fatal(err)
	}
	// Raw subscribers are not chat services: push (which only a chat
	// service reads) is off, gossip's admission is what is tested.
	a.Chat().GossipOnly()
	secret, open := chat.Topic(wg, "secret"), chat.Topic(wg, "open")
	subs := map[string]*rawSub{}
	for _, nd := range []*testnet.Node{c, d} {
		subs[nd.Name+" secret"] = rawJoin(t, nd, secret)
		subs[nd.Name+" open"] = rawJoin(t, nd, open)
		waitSubscribed(t, net.Nodes[:1], open, nd.Host().ID(), true)
	}

	phases := []struct {
		name   string
		before func()
		secret string
		open   string
		want   map[string]bool // raw subscriber of secret: receives the secret message
	}{
		{name: "delta allowed, charlie never", secret: "secret-one", open: "open-one",
			want: map[string]bool{"charlie": false, "delta": true}},
		{name: "delta removed by an acl change", secret: "secret-two", open: "open-two",
			want: map[string]bool{"charlie": false, "delta": false},
			before: func() {
				if _, err := a.Chat().SetAllow(ctxT(t), "office", "secret", []string{"bravo"}); err != nil {
					t.Fatal(err)
				}
				waitAllow(t, net.Nodes, []string{"bravo"})
				// delta's subscriptions are back at alpha (the open room's).
				waitSubscribed(t, net.Nodes[:1], open, d.Host().ID(), true)
				// and its gossip flows again: without flood publish a
				// peer that subscribed again gets live messages only once
				// a heartbeat grafts it (a member's history sync fetches
				// what it missed; a raw subscriber has none).
				waitLive(t, a, "office", "open", subs["charlie open"], subs["delta open"])
			}},
	}
	for _, ph := range phases {
		if ph.before != nil {
			ph.before()
		}
		if _, err := a.Chat().Say(ctxT(t), "office", "secret", ph.secret, chat.SendOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Chat().Say(ctxT(t), "office", "open", ph.open, chat.SendOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, who := range []string{"charlie", "delta"} {
			if !subs[who+" open"].got(ph.open, testnet.Converge) {
				t.Fatalf("%s: %s did not receive %q on the open room", ph.name, who, ph.open)
			}
		}
		for _, who := range []string{"charlie", "delta"} {
			wait := time.Second // past the open room's message: it would be here
			if ph.want[who] {
				wait = testnet.Converge
			}
			if got := subs[who+" secret"].got(ph.secret, wait); got != ph.want[who] {
				t.Errorf("%s: %s received %q on the restricted room's topic: %v, want %v", ph.name, who, ph.secret, got, ph.want[who])
			}
		}
	}
}

// waitLive waits until every raw subscriber of a room receives live
// gossip: nd says probes in the room until each has received one.
func waitLive(t *testing.T, nd *testnet.Node, wg, room string, subs ...*rawSub) {
	t.Helper()
	deadline := time.Now().Add(testnet.Converge)
	for i := 0; len(subs) > 0; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("%s: no live gossip within %s", subs[0].name, testnet.Converge)
		}
		probe := fmt.Sprintf("probe %d", i)
		if _, err := nd.Chat().Say(ctxT(t), wg, room, probe, chat.SendOptions{}); err != nil {
			t.Fatal(err)
		}
		if subs[0].got(probe, time.Second) {
			subs = subs[1:]
		}
	}
}

// waitAllow waits until every node folds room secret's allow list to
// want.
func waitAllow(t *testing.T, nodes []*testnet.Node, want []string) {
	t.Helper()
	testutil.Eventually(t, testnet.Converge, func() error {
		for _, nd := range nodes {
			rs, err := nd.Chat().Rooms("office")
			if err != nil {
				return err
			}
			for _, r := range rs {
				if r.Name == "secret" && !slices.Equal(r.Allow, want) {
					return fmt.Errorf("%s: secret allows %v", nd.Name, r.Allow)
				}
			}
		}
		return nil
	})
}
