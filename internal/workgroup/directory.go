package workgroup

import (
	"slices"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Roles a member certificate can carry.
const (
	RoleAdmin   = "admin"
	RoleMailbox = "mailbox"
	RoleRelay   = "relay"
)

// Member is what the roster knows of one member of one workgroup: the
// contents of its valid, unrevoked certificate.
type Member struct {
	Workgroup     string    `json:"workgroup"`      // workgroup ID
	WorkgroupName string    `json:"workgroup_name"` // display name
	Name          string    `json:"name"`           // node name, unique case-insensitively in the workgroup
	PeerID        peer.ID   `json:"peer_id"`
	AgeRecipient  string    `json:"age_recipient"` // age1... X25519 recipient
	Roles         []string  `json:"roles,omitempty"`
	Groups        []string  `json:"groups,omitempty"`
	NotAfter      time.Time `json:"not_after"`
	// NameConflict: another member admitted earlier holds the same name
	// (two admins gave it at once, one with a stale roster). This member
	// keeps its membership but not the name: ByName finds the other one,
	// and access-list rules that name the member do not match it. Refer
	// to it by peer ID.
	NameConflict bool `json:"name_conflict,omitempty"`
}

// HasRole reports whether the member holds role r.
func (m Member) HasRole(r string) bool { return slices.Contains(m.Roles, r) }

// InGroup reports whether the member is in group g (case-insensitive).
func (m Member) InGroup(g string) bool {
	return slices.ContainsFunc(m.Groups, func(x string) bool { return strings.EqualFold(x, g) })
}

// Info describes a workgroup this node is in.
type Info struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Directory answers membership questions from the replicated roster. Every
// service asks it before serving a stream. Implementations are safe for
// concurrent use.
type Directory interface {
	// Member returns p's membership of workgroup wg if p holds a valid,
	// unrevoked certificate of it.
	Member(wg string, p peer.ID) (Member, bool)
	// Memberships returns p's memberships of every workgroup this node is in.
	Memberships(p peer.ID) []Member
	// ByName finds a member of wg by name, case-insensitively.
	ByName(wg, name string) (Member, bool)
	// Members lists the valid members of wg.
	Members(wg string) []Member
	// Workgroups lists the workgroups this node is in.
	Workgroups() []Info
	// Self returns this node's own membership of wg.
	Self(wg string) (Member, bool)
}
