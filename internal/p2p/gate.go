package p2p

import (
	"sync/atomic"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Gate decides which peers may hold a connection to this node. It is asked
// once the remote peer's identity is authenticated.
type Gate interface {
	// AllowPeer reports whether p may stay connected. inbound tells who
	// dialled.
	AllowPeer(p peer.ID, inbound bool) bool
}

// gater adapts a replaceable Gate to libp2p's ConnectionGater.
type gater struct {
	gate   atomic.Pointer[Gate]
	checks topicChecks // services' checks of their topics (topiccheck.go)
}

func (g *gater) allow(p peer.ID, inbound bool) bool {
	gp := g.gate.Load()
	if gp == nil {
		return true
	}
	return (*gp).AllowPeer(p, inbound)
}

func (g *gater) InterceptPeerDial(p peer.ID) bool             { return g.allow(p, false) }
func (g *gater) InterceptAddrDial(peer.ID, ma.Multiaddr) bool { return true }
func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool  { return true }
func (g *gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) {
	return true, 0
}
func (g *gater) InterceptSecured(dir network.Direction, p peer.ID, addrs network.ConnMultiaddrs) bool {
	gp := g.gate.Load()
	if gp == nil {
		return true
	}
	if ag, ok := (*gp).(AddrGate); ok {
		return ag.AllowPeerAddr(p, dir == network.DirInbound, addrs.RemoteMultiaddr())
	}
	return (*gp).AllowPeer(p, dir == network.DirInbound)
}

// AddrGate is an optional interface of a Gate. When the installed Gate
// implements it, a connection being set up is judged by AllowPeerAddr,
// with the remote address (so a gate can bound peers per address);
// AllowPeer still judges connections already there (Enforce) and dials.
type AddrGate interface {
	AllowPeerAddr(p peer.ID, inbound bool, remote ma.Multiaddr) bool
}

// TopicGate is an optional interface of a Gate. When the installed Gate
// implements it, gossipsub drops RPCs from peers refused for topic ""
// and ignores a peer's subscription to a topic it is refused, so it is
// never sent that topic's messages.
type TopicGate interface {
	AllowTopic(p peer.ID, topic string) bool
}

func (g *gater) allowTopic(p peer.ID, topic string) bool {
	gp := g.gate.Load()
	if gp != nil {
		if tg, ok := (*gp).(TopicGate); ok && !tg.AllowTopic(p, topic) {
			return false
		}
	}
	return g.checks.allow(p, topic)
}

// RelayGate is an optional interface of a Gate. When the installed Gate
// implements it, the circuit relay service (nat.go) asks it instead of
// AllowPeer: a gate that admits strangers for a while (to join, or on
// probation) must not let them use this node as a relay.
type RelayGate interface {
	// AllowReserve reports whether p may hold a relay reservation here.
	AllowReserve(p peer.ID) bool
	// AllowCircuit reports whether src may reach dst through this node.
	AllowCircuit(src, dst peer.ID) bool
}

func (g *gater) relayGate() (RelayGate, bool) {
	gp := g.gate.Load()
	if gp == nil {
		return nil, false
	}
	rg, ok := (*gp).(RelayGate)
	return rg, ok
}
