package workgroup

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/p2p"
)

// TestNoEvictionDropAfterClose: the gate stays on the host after the
// service's Close (the daemon closes the host after the services), so an
// unknown inbound peer is still taken on probation, evicting the oldest
// from its address. The drop of the evicted peer is work of the service
// started from outside its goroutines (the swarm's upgrade): once Close
// returned it must not run (records/2026-12-01-s14-goaudit.md). On the old
// code (a bare `go dropEvicted`) the evicted strangers were disconnected
// after Close.
func TestNoEvictionDropAfterClose(t *testing.T) {
	alpha := newTNode(t, "alpha")
	mustCreate(t, alpha, "office") // a member of a workgroup: strangers go on probation
	if err := alpha.svc.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// All from 127.0.0.1: the fifth and sixth evict the first two
	// (maxProbationPerIP).
	var strangers []*p2p.Host
	for range maxProbationPerIP + 2 {
		x := newStranger(t)
		if err := x.Host.Connect(ctx, alpha.info()); err != nil {
			t.Fatalf("stranger %d: %v", len(strangers), err)
		}
		strangers = append(strangers, x)
	}
	// The old code's drop runs at once; a second is ample for it. Nothing
	// else closes these connections: the service's periodic gate stopped.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		for i, x := range strangers[:2] {
			if alpha.host.Network().Connectedness(x.ID()) != network.Connected {
				t.Fatalf("stranger %d, evicted from probation after Close returned, was disconnected by the closed service", i)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}
