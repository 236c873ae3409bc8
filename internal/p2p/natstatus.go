package p2p

import (
	"slices"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// autorelayTag is the connection manager tag libp2p's autorelay puts on
// the connections to the relays it holds a reservation on.
const autorelayTag = "autorelay"

// NATStatus is what the node knows of its own reachability (for status).
type NATStatus struct {
	// Reachability is AutoNAT's verdict (or the forced one): public,
	// private or unknown.
	Reachability string `json:"reachability"`
	// Relaying tells whether this node relays for members, and why (or
	// why not).
	Relaying    bool   `json:"relaying"`
	RelayReason string `json:"relay_reason"`
	// Relays are the members this node holds a relay reservation on
	// (others reach it through them).
	Relays []peer.ID `json:"relays"`
	// HolePunch is "ready", or why hole punching cannot run yet.
	HolePunch string `json:"hole_punch"`
}

// Hole punching states of NATStatus.
const (
	HolePunchReady     = "ready"
	HolePunchNoAddress = "not ready: no public address of this node known (no peer has seen one; a QUIC link to a member on a public address brings it)"
	HolePunchStarting  = "not ready: the service is starting"
)

// NAT reports this node's reachability, the relays it uses and relays
// for, and whether hole punching is ready.
func (h *Host) NAT() NATStatus {
	st := NATStatus{Relays: []peer.ID{}}
	st.Relaying, st.RelayReason = h.relaySvc.serving()
	st.Reachability = reachString(h.relaySvc.reachability())
	for _, p := range h.Network().Peers() {
		if h.cm.IsProtected(p, autorelayTag) {
			st.Relays = append(st.Relays, p)
		}
	}
	slices.Sort(st.Relays)
	switch {
	case len(h.punch.addrs()) == 0:
		st.HolePunch = HolePunchNoAddress
	case !h.punch.ready():
		st.HolePunch = HolePunchStarting
	default:
		st.HolePunch = HolePunchReady
	}
	return st
}

func reachString(r network.Reachability) string {
	switch r {
	case network.ReachabilityPublic:
		return "public"
	case network.ReachabilityPrivate:
		return "private"
	}
	return "unknown"
}

// reachability is AutoNAT's last verdict, or the forced one.
func (s *relayService) reachability() network.Reachability {
	switch s.force {
	case ReachPublic:
		return network.ReachabilityPublic
	case ReachPrivate:
		return network.ReachabilityPrivate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.autonat
}
