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
	// Reach is whether this node has a route to the member: connected,
	// no route (the last dial failed), unknown; empty for this node.
	Reach string `json:"reach,omitempty"`
	// Shares are the member's shares (filled by the sharing service).
	Shares []share.ShareInfo `json:"shares"`
	// Services are the TCP services the member lets this node use
	// (filled by the tunnel service; servicelists.go).
	Services []tunnel.ServiceInfo `json:"services"`
}

// Browse lists every member of wg with presence, reachability,
// addresses, link and round-trip time (both of the connection in use),
// this node first, then by name.
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
			link := h.Link(m.PeerID)
			e.Reach = s.Reach(m.PeerID)
			offline := s.cfg.Presence != nil && e.Presence == presence.Offline
			// A member that appears offline (logged off, or gone) shows
			// no link and no RTT: its node may still relay and connect.
			if !offline {
				e.Link, e.RTT = link, h.RTT(m.PeerID)
			}
			// An offline member not connected has no address to show
			// (what the peerstore still holds is old or a relay's).
			if link != "" || !offline {
				for _, a := range h.Peerstore().Addrs(m.PeerID) {
					e.Addrs = append(e.Addrs, a.String())
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
