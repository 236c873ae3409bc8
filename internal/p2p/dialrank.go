package p2p

import (
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// quicDelay is how long a dial waits for TCP before it also tries QUIC.
const quicDelay = 300 * time.Millisecond

// tcpFirstRanker ranks a peer's addresses like libp2p's default ranker
// but, when the peer has a direct TCP address that is not public (a LAN,
// loopback), dials direct TCP first and QUIC only quicDelay later: bulk
// transfers (the files protocol) run about twice as fast over
// TCP+TLS+yamux as over QUIC on the same link, and a killed TCP peer is
// noticed at once where QUIC waits for its idle timeout. Relayed
// addresses keep their delays.
//
// A peer reachable only at public addresses (across networks, where the
// WAN link and not the CPU bounds a transfer) is dialled as libp2p does,
// QUIC first: QUIC dials leave from the listening UDP socket, so the
// address the peer observes is this node's external address and port
// (TCP dials leave from ephemeral ports, with reuseport off), which is
// what a node behind a NAT needs to learn before it can hole punch
// (libp2p counts only observations made on a listening address).
func tcpFirstRanker(addrs []ma.Multiaddr) []network.AddrDelay {
	ranked := swarm.DefaultDialRanker(addrs)
	lanTCP := false
	for _, a := range addrs {
		if isDirectTCP(a) && !manet.IsPublicAddr(a) {
			lanTCP = true
			break
		}
	}
	if !lanTCP {
		return ranked
	}
	for i, ad := range ranked {
		switch {
		case isRelayed(ad.Addr):
		case isDirectTCP(ad.Addr):
			ranked[i].Delay = 0
		default:
			ranked[i].Delay = ad.Delay + quicDelay
		}
	}
	return ranked
}

func isRelayed(a ma.Multiaddr) bool {
	_, err := a.ValueForProtocol(ma.P_CIRCUIT)
	return err == nil
}

func isDirectTCP(a ma.Multiaddr) bool {
	if isRelayed(a) {
		return false
	}
	_, err := a.ValueForProtocol(ma.P_TCP)
	if err != nil {
		return false
	}
	_, ws := a.ValueForProtocol(ma.P_WS)
	return ws != nil
}
