package p2p

import (
	"context"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Probe reports whether p answers a ping within timeout: over an open
// connection if there is one, else after dialling it from the peerstore's
// addresses. It records the round-trip time on success.
func (h *Host) Probe(ctx context.Context, p peer.ID, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if h.Network().Connectedness(p) != network.Connected {
		if err := h.Host.Connect(ctx, peer.AddrInfo{ID: p}); err != nil {
			return fmt.Errorf("probe %s: %w", p, err)
		}
	}
	select {
	case res := <-h.ping.Ping(ctx, p):
		if res.Error != nil {
			return fmt.Errorf("probe %s: %w", p, res.Error)
		}
		h.Peerstore().RecordLatency(p, res.RTT)
		return nil
	case <-ctx.Done():
		return fmt.Errorf("probe %s: %w", p, ctx.Err())
	}
}
