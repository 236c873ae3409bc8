package p2p

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
)

// After ResetGossip, both routers of both ends should list the other end
// again among the peers of a topic both subscribe to. They do not always:
// this reproduces the lost-subscriptions race (docs/design/records/2026-11-30-s7-gossipreset.md).
// Under CPU load (3 busy loops on 2 cores, -race, -count=6 -parallel 6) it
// fails most runs: the end that did NOT call ResetGossip loses the
// resetter's subscriptions in one or both routers, for good (the resetter
// stays in its ListPeers("")). It is not fixed yet, so it runs only when
// PEERHOOD_GOSSIP_RACE=1; idle it passes.
func TestResetGossipKeepsSubscriptions(t *testing.T) {
	if os.Getenv("PEERHOOD_GOSSIP_RACE") == "" {
		t.Skip("reproduces an unfixed race; set PEERHOOD_GOSSIP_RACE=1")
	}
	const pairs, resets = 6, 3
	for i := 0; i < pairs; i++ {
		a, b := newTestHost(t), newTestHost(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		type end struct {
			h  *Host
			ps *pubsub.PubSub
			tp *pubsub.Topic
		}
		var ends []end
		for _, h := range []*Host{a, b} {
			for _, ps := range []func(*Host) (*pubsub.PubSub, error){(*Host).PubSub, (*Host).ChatPubSub} {
				r, err := ps(h)
				if err != nil {
					t.Fatal(err)
				}
				tp, err := r.Join("t")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := tp.Subscribe(); err != nil {
					t.Fatal(err)
				}
				ends = append(ends, end{h, r, tp})
			}
		}
		if _, err := b.Connect(ctx, a.Addrs()[0]); err != nil {
			t.Fatal(err)
		}
		other := map[*Host]*Host{a: b, b: a}
		check := func(round int) {
			deadline := time.Now().Add(5 * time.Second)
			for k, e := range ends {
				for !slices.Contains(e.tp.ListPeers(), other[e.h].ID()) {
					if time.Now().After(deadline) {
						t.Errorf("pair %d round %d: router %d (a %v) lost its peer; has it as a peer at all: %v", i, round, k, e.h == a, slices.Contains(e.ps.ListPeers(""), other[e.h].ID()))
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		}
		check(0)
		for r := 1; r <= resets; r++ {
			if r%2 == 0 {
				a.ResetGossip(b.ID())
			} else {
				b.ResetGossip(a.ID())
			}
			time.Sleep(300 * time.Millisecond)
			check(r)
		}
	}
}
