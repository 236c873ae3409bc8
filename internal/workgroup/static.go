package workgroup

import (
	"strings"
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"
)

// StaticDirectory is a Directory over a fixed, in-memory member list. It
// serves services' protocol tests and tools that have no roster; a node
// uses the roster-backed directory.
type StaticDirectory struct {
	mu      sync.RWMutex
	self    peer.ID
	members []Member
}

// NewStaticDirectory returns a directory of the given members, seen from
// the node self.
func NewStaticDirectory(self peer.ID, members ...Member) *StaticDirectory {
	return &StaticDirectory{self: self, members: members}
}

// Add adds a member.
func (d *StaticDirectory) Add(m Member) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.members = append(d.members, m)
}

// Remove drops every membership of p (as a revocation would).
func (d *StaticDirectory) Remove(p peer.ID) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.members[:0]
	for _, m := range d.members {
		if m.PeerID != p {
			out = append(out, m)
		}
	}
	d.members = out
}

func (d *StaticDirectory) Member(wg string, p peer.ID) (Member, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, m := range d.members {
		if m.Workgroup == wg && m.PeerID == p {
			return m, true
		}
	}
	return Member{}, false
}

func (d *StaticDirectory) Memberships(p peer.ID) []Member {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []Member
	for _, m := range d.members {
		if m.PeerID == p {
			out = append(out, m)
		}
	}
	return out
}

func (d *StaticDirectory) ByName(wg, name string) (Member, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, m := range d.members {
		if m.Workgroup == wg && strings.EqualFold(m.Name, name) {
			return m, true
		}
	}
	return Member{}, false
}

func (d *StaticDirectory) Members(wg string) []Member {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []Member
	for _, m := range d.members {
		if m.Workgroup == wg {
			out = append(out, m)
		}
	}
	return out
}

func (d *StaticDirectory) Workgroups() []Info {
	d.mu.RLock()
	defer d.mu.RUnlock()
	seen := map[string]bool{}
	var out []Info
	for _, m := range d.members {
		if m.PeerID == d.self && !seen[m.Workgroup] {
			seen[m.Workgroup] = true
			out = append(out, Info{ID: m.Workgroup, Name: m.WorkgroupName})
		}
	}
	return out
}

func (d *StaticDirectory) Self(wg string) (Member, bool) { return d.Member(wg, d.self) }
