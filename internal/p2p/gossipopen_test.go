package p2p

import (
	"fmt"
	"testing"
)

// A router whose writer to a peer fails to open (its connection closed
// under it while another stayed: failOpens stands for that) opens one
// again while the peer stays connected. gossipsub alone forgot the peer
// and never told it this node's subscriptions (the peer listed none of
// them, and got none of this node's messages) until it reconnected.
func TestGossipWriterReopens(t *testing.T) {
	t.Parallel()
	for _, fails := range []int32{1, gossipOpenTries - 1} {
		t.Run(fmt.Sprintf("%d failed", fails), func(t *testing.T) {
			t.Parallel()
			a, b := newTestHost(t, "/ip4/127.0.0.1/tcp/0"), newTestHost(t, "/ip4/127.0.0.1/tcp/0")
			// gossipPair fails unless every router lists the other host.
			gossipPair(t, a, b, func(h *Host) {
				if h == a {
					a.gossipW.failOpens.Store(fails)
					a.chatGossipW.failOpens.Store(fails)
				}
			})
			for _, w := range []*gossipWriters{a.gossipW, a.chatGossipW} {
				if n := w.failOpens.Load(); n > 0 {
					t.Fatalf("%d of the failed opens never happened", n)
				}
			}
		})
	}
}
