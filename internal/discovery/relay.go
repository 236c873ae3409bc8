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
// is ever offered.
func (s *Service) RelayCandidates(_ context.Context, num int) []peer.AddrInfo {
	h := s.cfg.Host
	var out []peer.AddrInfo
	seen := map[peer.ID]bool{}
	for _, w := range s.cfg.Dir.Workgroups() {
		for _, ai := range s.memberAddrInfos(w.ID, 1<<30) {
			if seen[ai.ID] || len(out) >= num {
				continue
			}
			seen[ai.ID] = true
			if ok, err := h.Peerstore().SupportsProtocols(ai.ID, relayHop); err != nil || len(ok) == 0 {
				continue
			}
			out = append(out, ai)
		}
	}
	return out
}
