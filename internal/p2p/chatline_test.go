package p2p

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/testutil"
)

// meshTracer follows one router's mesh peers (any topic), and counts
// messages in dupCounter (shared by the routers of a test or not).
type meshTracer struct {
	*dupCounter
	mu   sync.Mutex
	mesh map[peer.ID]bool
}

func (m *meshTracer) Graft(p peer.ID, _ string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mesh == nil {
		m.mesh = map[peer.ID]bool{}
	}
	m.mesh[p] = true
}

func (m *meshTracer) Prune(p peer.ID, _ string) { m.RemovePeer(p) }

func (m *meshTracer) RemovePeer(p peer.ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.mesh, p)
}

func (m *meshTracer) size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.mesh)
}

func (m *meshTracer) has(p peer.ID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mesh[p]
}

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
	meshes := make([]*meshTracer, n)
	var topic0 *pubsub.Topic
	for i := range hosts {
		hosts[i] = newTestHost(t)
		meshes[i] = &meshTracer{dupCounter: &dupCounter{}}
		hosts[i].testTracer = meshes[i]
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
	// No flood publish: a message goes only where the meshes reach, so
	// every member must have grafted its neighbours first (heartbeats of
	// 1 s; a fixed 2.5 s wait was short on a loaded machine).
	testutil.Eventually(t, 30*time.Second, func() error {
		for i := range hosts {
			for _, j := range []int{i - 1, i + 1} {
				if j >= 0 && j < n && !meshes[i].has(hosts[j].ID()) {
					return fmt.Errorf("member %d has not grafted its neighbour %d", i, j)
				}
			}
		}
		return nil
	})
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
