package p2p

import (
	"context"
	"fmt"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
)

// With the chat router's parameters (mesh of 2, no flood publish, no
// author in the envelope), members in a line, where the author reaches
// its neighbour only, each get every message live: the mesh carries it
// to the end, and what one member forwards never stops at it for lack of
// an author to skip.
func TestChatGossipLine(t *testing.T) {
	const n, msgs = 5, 10
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	hosts := make([]*Host, n)
	subs := make([]*pubsub.Subscription, n)
	var topic0 *pubsub.Topic
	for i := range hosts {
		hosts[i] = newTestHost(t)
		ps, err := hosts[i].ChatPubSub()
		if err != nil {
			t.Fatal(err)
		}
		tp, err := ps.Join("room")
		if err != nil {
			t.Fatal(err)
		}
		if subs[i], err = tp.Subscribe(); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			topic0 = tp
		} else if _, err := hosts[i].Connect(ctx, hosts[i-1].Addrs()[0]); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2500 * time.Millisecond) // meshes form (heartbeats of 1 s); no flood publish before that
	for k := range msgs {
		if err := topic0.Publish(ctx, fmt.Appendf(nil, "line %d", k)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i < n; i++ {
		got := map[string]bool{}
		for len(got) < msgs {
			m, err := subs[i].Next(ctx)
			if err != nil {
				t.Fatalf("member %d got %d of %d messages: %v", i, len(got), msgs, err)
			}
			got[string(m.Data)] = true
		}
	}
}
