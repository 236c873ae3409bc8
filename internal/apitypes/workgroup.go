package apitypes

import (
	"slices"
	"time"
)

// DefaultInviteTTL is how long an invite stays valid unless told.
const DefaultInviteTTL = 24 * time.Hour

// CreateWorkgroupRequest creates a workgroup.
type CreateWorkgroupRequest struct {
	Name  string `json:"name"`
	Force bool   `json:"force,omitempty"` // allow a name another workgroup of this node has
}

// LeaveWorkgroupRequest leaves a workgroup (its local state is deleted).
type LeaveWorkgroupRequest struct {
	Workgroup string `json:"workgroup,omitempty"` // name, ID or ID prefix; empty: the only one
	Force     bool   `json:"force,omitempty"`     // leave even as its last admin
}

// RenameWorkgroupRequest changes a workgroup's display name (admins).
type RenameWorkgroupRequest struct {
	Workgroup string `json:"workgroup,omitempty"`
	Name      string `json:"name"`
	Force     bool   `json:"force,omitempty"` // allow a name another workgroup of this node has
}

// WorkgroupSummary is one workgroup this node is in.
type WorkgroupSummary struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Members int    `json:"members"`
	Admin   bool   `json:"admin"`
	// Removed is set when this node was removed from the workgroup: the
	// sentence "removed from office by alice at 2026-11-30 07:20 UTC".
	// The node no longer uses it (no fetch, presence or dial).
	Removed   string     `json:"removed,omitempty"`
	RemovedBy string     `json:"removed_by,omitempty"`
	RemovedAt *time.Time `json:"removed_at,omitempty"`
}

// InviteRequest asks for an invite token.
type InviteRequest struct {
	Workgroup string `json:"workgroup,omitempty"` // name, ID or ID prefix; empty: the only one
	Expires   string `json:"expires,omitempty"`   // duration (ParseDuration: 24h, 2d, 1w); default 24h
	Uses      int    `json:"uses,omitempty"`      // default 1
	Admin     bool   `json:"admin,omitempty"`
	Mailbox   bool   `json:"mailbox,omitempty"`
}

// InviteResult is a new invite.
type InviteResult struct {
	Token     string    `json:"token"`
	Workgroup string    `json:"workgroup"` // workgroup ID
	Expires   time.Time `json:"expires"`
	Uses      int       `json:"uses"`
}

// JoinRequest joins a workgroup with an invite token.
type JoinRequest struct {
	Token string `json:"token"`
	Name  string `json:"name,omitempty"`  // default: the node's name
	Force bool   `json:"force,omitempty"` // join even if this node is in another workgroup of the same name
}

// JoinResult is the joined workgroup and this node's membership.
type JoinResult struct {
	Workgroup Workgroup `json:"workgroup"`
	Member    Member    `json:"member"`
}

// MemberGroupsRequest changes a member's groups (admins only). With
// replace, the member's groups become exactly set; else add and remove
// are applied to its current groups.
type MemberGroupsRequest struct {
	Workgroup string   `json:"workgroup,omitempty"` // name, ID or ID prefix; empty: the only one
	Add       []string `json:"add,omitempty"`
	Remove    []string `json:"remove,omitempty"`
	Replace   bool     `json:"replace,omitempty"`
	Set       []string `json:"set,omitempty"`
}

// Workgroup names a workgroup (mirrors workgroup.Info).
type Workgroup struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Member is one member of a workgroup (mirrors workgroup.Member).
type Member struct {
	Workgroup     string    `json:"workgroup"`      // workgroup ID
	WorkgroupName string    `json:"workgroup_name"` // display name
	Name          string    `json:"name"`
	PeerID        string    `json:"peer_id"`
	AgeRecipient  string    `json:"age_recipient"`
	Roles         []string  `json:"roles,omitempty"`
	Groups        []string  `json:"groups,omitempty"`
	NotAfter      time.Time `json:"not_after"`
	// NameConflict: another member admitted earlier holds the same name;
	// refer to this one by its peer ID.
	NameConflict bool `json:"name_conflict,omitempty"`
}

// HasRole reports whether the member holds role r.
func (m Member) HasRole(r string) bool { return slices.Contains(m.Roles, r) }
