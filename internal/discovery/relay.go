package discovery

import (
	"context"

	"github.com/libp2p/go-libp2p/core/peer"
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
