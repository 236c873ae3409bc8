package p2p

import (
	"fmt"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
)

// pubsubQueue is the per-peer outbound and validation queue length. The
// default of 32 drops up to 14% of a 1,000-message burst; anything that
// must not be lost still rides an acknowledged protocol, gossip only
// speeds it up.
const pubsubQueue = 2048

// PubSub returns the host's gossipsub router, starting it on first use.
// Messages are signed by their author (StrictSign); services add topic
// validators that check the author's membership.
func (h *Host) PubSub() (*pubsub.PubSub, error) {
	h.psMu.Lock()
	defer h.psMu.Unlock()
	if h.ps != nil {
		return h.ps, nil
	}
	ps, err := pubsub.NewGossipSub(h.ctx, h.Host,
		pubsub.WithPeerOutboundQueueSize(pubsubQueue),
		pubsub.WithValidateQueueSize(pubsubQueue),
		pubsub.WithMessageSignaturePolicy(pubsub.StrictSign),
		pubsub.WithFloodPublish(true),
	)
	if err != nil {
		return nil, fmt.Errorf("start gossipsub: %w", err)
	}
	h.ps = ps
	return ps, nil
}
