package discovery

import (
	"context"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/p2p"
)

// relayHop is the circuit relay v2 hop protocol: a peer that speaks it
// runs the relay service (it is publicly reachable).
const relayHop = "/libp2p/circuit/relay/0.2.0/hop"

// RelayCandidates gives autorelay up to num members that run the relay
// service, directly connected ones first. No peer outside the workgroups
// is ever offered. Autorelay asks every few seconds while it looks for
// relays (on every node whose reachability is not known to be public), so
// members that do not speak the hop protocol are skipped before their
// addresses are looked up (the address book is a database).
func (s *Service) RelayCandidates(_ context.Context, num int) []peer.AddrInfo {
	h := s.cfg.Host
	var c connectedFirst
	seen := map[peer.ID]bool{h.ID(): true}
	for _, w := range s.cfg.Dir.Workgroups() {
		for _, m := range s.cfg.Dir.Members(w.ID) {
			if seen[m.PeerID] {
				continue
			}
			seen[m.PeerID] = true
			if ok, err := h.Peerstore().SupportsProtocols(m.PeerID, relayHop); err != nil || len(ok) == 0 {
				continue
			}
			c.add(s, m.PeerID)
		}
	}
	return c.take(num)
}

// circuitAddrs returns addresses of p through every connected member that
// runs the relay service: /<relay addr>/p2p/<relay>/p2p-circuit. A member
// behind a NAT keeps a reservation on such members (autorelay), so this
// reaches it even when nobody knows a direct address that works.
// (libp2p's autorelay only advertises circuit addresses of relays with
// public IP addresses; members on private networks are relays too.)
func (s *Service) circuitAddrs(p peer.ID) []ma.Multiaddr {
	h := s.cfg.Host
	var out []ma.Multiaddr
	for _, r := range h.Network().Peers() {
		if r == p || h.Network().Connectedness(r) != network.Connected || !s.isMember(r) {
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
				out = append(out, a.Encapsulate(circuit))
				break
			}
		}
	}
	return out
}
