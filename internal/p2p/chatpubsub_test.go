package p2p

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// topicGate admits every peer but takes part in topic "room" only with
// the peers in room.
type topicGate struct{ room map[peer.ID]bool }

func (topicGate) AllowPeer(peer.ID, bool) bool { return true }
func (g topicGate) AllowTopic(p peer.ID, topic string) bool {
	return topic != "room" || g.room[p]
}

// Both routers, the host's and the chat router, apply the gate's topic
// check the same way: a peer refused a topic is not counted among its
// peers (its subscription is ignored, so nothing is sent to it), a peer
// allowed gets what is published; the chat router carries messages
// without an envelope signature (StrictNoSign), names them by content,
// and its streams are gossip streams (ResetGossip resets them).
func TestRoutersApplyTopicGate(t *testing.T) {
	routers := []struct {
		name string
		ps   func(*Host) (*pubsub.PubSub, error)
	}{
		{"host router", (*Host).PubSub},
		{"chat router", (*Host).ChatPubSub},
	}
	for _, r := range routers {
		t.Run(r.name, func(t *testing.T) {
			a, b, c := newTestHost(t), newTestHost(t), newTestHost(t)
			a.SetGate(topicGate{room: map[peer.ID]bool{b.ID(): true}})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			topics := map[*Host]*pubsub.Topic{}
			open := map[*Host]*pubsub.Topic{}
			subs := map[*Host]*pubsub.Subscription{}
			for _, h := range []*Host{a, c, b} { // c subscribes before b
				ps, err := r.ps(h)
				if err != nil {
					t.Fatal(err)
				}
				tp, err := ps.Join("room")
				if err != nil {
					t.Fatal(err)
				}
				sub, err := tp.Subscribe()
				if err != nil {
					t.Fatal(err)
				}
				topics[h], subs[h] = tp, sub
				// "open", a topic every peer is admitted to: its
				// subscriptions ride the same hellos as room's.
				if open[h], err = ps.Join("open"); err != nil {
					t.Fatal(err)
				}
				if _, err := open[h].Subscribe(); err != nil {
					t.Fatal(err)
				}
				if h != a {
					if _, err := h.Connect(ctx, a.Addrs()[0]); err != nil {
						t.Fatal(err)
					}
				}
			}
			waitFor(t, "b among a's peers of the topic", func() bool { return slices.Contains(topics[a].ListPeers(), b.ID()) })
			waitFor(t, "a among b's peers of the topic", func() bool { return slices.Contains(topics[b].ListPeers(), a.ID()) })
			// Once a and c each have the other's hello (they see each
			// other in open), neither counts the other in room: a
			// ignored c's subscription, and never told c its own.
			waitFor(t, "c among a's peers of open", func() bool { return slices.Contains(open[a].ListPeers(), c.ID()) })
			waitFor(t, "a among c's peers of open", func() bool { return slices.Contains(open[c].ListPeers(), a.ID()) })
			if slices.Contains(topics[a].ListPeers(), c.ID()) {
				t.Errorf("a counts c, refused the topic, among its peers")
			}
			if slices.Contains(topics[c].ListPeers(), a.ID()) {
				t.Errorf("a told c, refused the topic, of its subscription to it")
			}
			m := publishUntil(ctx, t, topics[a], subs[b])
			if r.name == "chat router" {
				if len(m.Signature) != 0 || len(m.From) != 0 {
					t.Errorf("chat router message carries an envelope signature or From")
				}
				if m.ID != ContentID(m.Message) {
					t.Errorf("chat router message ID is not its content ID")
				}
				if gossipLinks(a, b.ID())[LinkDirect] == 0 {
					t.Errorf("the chat router's streams are not gossip streams")
				}
			}
		})
	}
}

// publishUntil publishes on tp until sub receives a message: the chat
// router does not flood-publish, so what a publishes before a heartbeat
// grafts b into its mesh reaches nobody (the chat service's history sync
// brings it; this test has none). Each message differs (the chat router
// names messages by content).
func publishUntil(ctx context.Context, t *testing.T, tp *pubsub.Topic, sub *pubsub.Subscription) *pubsub.Message {
	t.Helper()
	for i := 0; ; i++ {
		if err := tp.Publish(ctx, fmt.Appendf(nil, "hello %d", i)); err != nil {
			t.Fatal(err)
		}
		wait, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		m, err := sub.Next(wait)
		cancel()
		if err == nil {
			if !strings.HasPrefix(string(m.Data), "hello ") {
				t.Fatalf("got %q", m.Data)
			}
			return m
		}
		if ctx.Err() != nil {
			t.Fatal(err)
		}
	}
}
