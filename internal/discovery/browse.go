package discovery

import (
	"sort"
	"strings"
	"time"

	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/share"
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
}

// Browse lists every member of wg with presence, reachability,
// addresses, link and round-trip time (both of the connection in use),
// this node first, then by name.
func (s *Service) Browse(wg string) []Entry {
	h := s.cfg.Host
	members := s.cfg.Dir.Members(wg)
	out := make([]Entry, 0, len(members))
	for _, m := range members {
		e := Entry{Member: m, Presence: presence.Offline, Addrs: []string{}, Shares: []share.ShareInfo{}}
		if s.cfg.Presence != nil {
			seen := s.cfg.Presence.Of(wg, m.PeerID)
			e.Presence, e.PresenceText = seen.State, seen.Text
			if !seen.LastSeen.IsZero() {
				t := seen.LastSeen.UTC()
				e.LastSeen = &t
			}
		}
		if m.PeerID == h.ID() {
			e.Link = LinkSelf
			for _, a := range h.Host.Addrs() {
				e.Addrs = append(e.Addrs, a.String())
			}
		} else {
			e.Link, e.Reach = h.Link(m.PeerID), s.Reach(m.PeerID)
			e.RTT = h.RTT(m.PeerID)
			// An offline member not connected has no address to show
			// (what the peerstore still holds is old or a relay's).
			if e.Link != "" || e.Presence != presence.Offline {
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
