package discovery

import (
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/p2p"
)

// Relay routes: every dial to a member tries its relays.
const (
	// relayRouteEvery is how often the circuit addresses of members not
	// connected are written into the peerstore.
	relayRouteEvery = 5 * time.Second
	// relayRouteTTL is how long such an address stays there unless
	// written again (a relay that went away stops being tried).
	relayRouteTTL = time.Minute
)

// relays returns the circuit address prefixes
// (/<relay addr>/p2p/<relay>/p2p-circuit) of every member this node is
// directly connected to that runs the relay service.
func (s *Service) relays() map[peer.ID]ma.Multiaddr {
	h := s.cfg.Host
	out := map[peer.ID]ma.Multiaddr{}
	for _, r := range h.Network().Peers() {
		if !s.isMember(r) {
			continue
		}
		if ok, err := h.Peerstore().SupportsProtocols(r, relayHop); err != nil || len(ok) == 0 {
			continue
		}
		circuit, err := ma.NewMultiaddr("/p2p/" + r.String() + "/p2p-circuit")
		if err != nil {
			continue
		}
		for _, c := range h.Network().ConnsToPeer(r) {
			if a := c.RemoteMultiaddr(); p2p.LinkOf(a) == p2p.LinkDirect {
				out[r] = a.Encapsulate(circuit)
				break
			}
		}
	}
	return out
}

// circuitAddrs returns addresses of p through every connected member that
// runs the relay service. A member behind a NAT keeps a reservation on
// such members (autorelay), so this reaches it even when nobody knows a
// direct address that works. (libp2p's autorelay only advertises circuit
// addresses of relays with public IP addresses; members on private
// networks are relays too.)
func (s *Service) circuitAddrs(p peer.ID) []ma.Multiaddr {
	var out []ma.Multiaddr
	for r, a := range s.relays() {
		if r != p {
			out = append(out, a)
		}
	}
	return out
}

// addRelayRoutes writes, for every member this node is not connected to,
// its circuit addresses through the connected relay members into the
// peerstore (for relayRouteTTL). So any dial to a member, not only
// discovery's own (a user's `ls b:` opens a files stream, a forward a
// tunnel stream), tries its relays after its direct addresses: a member
// shown online from presence relayed by others is reached through the
// relay it holds a reservation on.
func (s *Service) addRelayRoutes() {
	rs := s.relays()
	if len(rs) == 0 {
		return
	}
	h := s.cfg.Host
	self := h.ID()
	seen := map[peer.ID]bool{self: true}
	for _, w := range s.cfg.Dir.Workgroups() {
		for _, m := range s.cfg.Dir.Members(w.ID) {
			if seen[m.PeerID] {
				continue
			}
			seen[m.PeerID] = true
			if h.Network().Connectedness(m.PeerID) == network.Connected {
				continue
			}
			for r, a := range rs {
				if r != m.PeerID {
					h.Peerstore().AddAddr(m.PeerID, a, relayRouteTTL)
				}
			}
		}
	}
}
