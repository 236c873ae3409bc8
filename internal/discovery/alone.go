package discovery

import (
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// RouteStatus says how well this node reaches the members of its
// workgroups (for status).
type RouteStatus struct {
	Members   int `json:"members"`   // other members, all workgroups together
	Connected int `json:"connected"` // of them, connected now
	NoRoute   int `json:"no_route"`  // of them, whose last dial failed
	// Alone is true when this node has other members, is connected to
	// none, and every dial it made to them failed: it knows no working
	// address for any member.
	Alone bool `json:"alone"`
}

// aloneGrace is how long a node may be alone before the log says so
// (start-up dials take a few seconds).
const aloneGrace = 30 * time.Second

// MemberRoutes reports how this node reaches its members.
func (s *Service) MemberRoutes() RouteStatus {
	h := s.cfg.Host
	var st RouteStatus
	seen := map[peer.ID]bool{h.ID(): true}
	var others []peer.ID
	for _, w := range s.cfg.Dir.Workgroups() {
		for _, m := range s.cfg.Dir.Members(w.ID) {
			if !seen[m.PeerID] {
				seen[m.PeerID] = true
				others = append(others, m.PeerID)
			}
		}
	}
	st.Members = len(others)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range others {
		if h.Network().Connectedness(p) == network.Connected {
			st.Connected++
		} else if b := s.backoff[p]; b != nil && b.err != nil {
			st.NoRoute++
		}
	}
	st.Alone = st.Members > 0 && st.Connected == 0 && st.NoRoute == st.Members
	return st
}

// warnAlone logs once, when this node has been alone for aloneGrace,
// that it knows no working address for any member; and once more when
// it reaches one again.
func (s *Service) warnAlone(now time.Time) {
	st := s.MemberRoutes()
	switch {
	case st.Alone:
		if s.aloneSince.IsZero() {
			s.aloneSince = now
		}
		if s.aloneWarned || now.Sub(s.aloneSince) < s.aloneGrace {
			return
		}
		s.aloneWarned = true
		s.cfg.Log.Warn("no member reachable: none of the known addresses of the members works and no relay reached them; "+
			"still trying (the DHT, relays, members that connect here); `peerhood connect ADDR` gives one",
			"members", st.Members, "alone_for", now.Sub(s.aloneSince).Round(time.Second))
	case !st.Alone && !s.aloneSince.IsZero():
		if s.aloneWarned {
			s.cfg.Log.Info("member reachable again", "connected", st.Connected)
		}
		s.aloneSince, s.aloneWarned = time.Time{}, false
	}
}
