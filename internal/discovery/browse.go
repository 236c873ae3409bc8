package discovery

import (
	"sort"
	"strings"
	"time"

	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/tunnel"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// LinkSelf is the link of this node's own browse entry.
const LinkSelf = "self"

// Entry is one member in a browse list.
type Entry struct {
	workgroup.Member
	Presence     string        `json:"presence"` // online, away, busy, offline
	PresenceText string        `json:"presence_text,omitempty"`
	LastSeen     *time.Time    `json:"last_seen,omitempty"`
	Addrs        []string      `json:"addrs"`
	Link         string        `json:"link,omitempty"` // self, direct, relayed, hole-punched; empty: not connected
	RTT          time.Duration `json:"rtt_ns"`
	// Shares are the member's shares (filled by the sharing service).
	Shares []share.ShareInfo `json:"shares"`
	// Services are the TCP services the member lets this node use
	// (filled by the tunnel service; servicelists.go).
	Services []tunnel.ServiceInfo `json:"services"`
}

// Browse lists every member of wg with presence, addresses, link and
// round-trip time, this node first, then by name.
func (s *Service) Browse(wg string) []Entry {
	h := s.cfg.Host
	members := s.cfg.Dir.Members(wg)
	out := make([]Entry, 0, len(members))
	for _, m := range members {
		e := Entry{Member: m, Presence: presence.Offline, Addrs: []string{}, Shares: []share.ShareInfo{}, Services: []tunnel.ServiceInfo{}}
		if s.cfg.Presence != nil {
			seen := s.cfg.Presence.Of(wg, m.PeerID)
			e.Presence, e.PresenceText = seen.State, seen.Text
			last := seen.LastSeen
			if stored := s.storedLastSeen(wg, m.PeerID); stored.After(last) {
				last = stored // heard before this node restarted
			}
			if !last.IsZero() {
				t := last.UTC()
				e.LastSeen = &t
			}
		}
		if m.PeerID == h.ID() {
			e.Link = LinkSelf
			for _, a := range h.Host.Addrs() {
				e.Addrs = append(e.Addrs, a.String())
			}
		} else {
			for _, a := range h.Peerstore().Addrs(m.PeerID) {
				e.Addrs = append(e.Addrs, a.String())
			}
			// A member that appears offline (logged off, or gone) shows
			// no link: its node may still relay and connect.
			if s.cfg.Presence == nil || e.Presence != presence.Offline {
				if e.Link = h.Link(m.PeerID); e.Link != "" {
					e.RTT = h.Peerstore().LatencyEWMA(m.PeerID)
				}
			}
		}
		sort.Strings(e.Addrs)
		out = append(out, e)
	}
	self := h.ID()
	sort.Slice(out, func(i, j int) bool {
		if (out[i].PeerID == self) != (out[j].PeerID == self) {
			return out[i].PeerID == self
		}
		return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name)
	})
	return out
}
