package p2p

import (
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
)

// ClearDialBackoff lets the next dial to p try at once: the swarm
// refuses, for a while, to dial a peer whose last dial failed, which is
// wrong when a user is waiting or a retry is the point (a join, a file
// request, a forward). Nothing when p is connected or h's network is
// not a swarm.
func ClearDialBackoff(h host.Host, p peer.ID) {
	if h.Network().Connectedness(p) == network.Connected {
		return
	}
	if sw, ok := h.Network().(*swarm.Swarm); ok {
		sw.Backoff().Clear(p)
	}
}
