package apitypes

import "time"

// Presence states.
const (
	Online  = "online"
	Away    = "away"
	Busy    = "busy"
	Offline = "offline"
)

// PresenceRequest sets this node's presence.
type PresenceRequest struct {
	State string `json:"state"` // online, away or busy
	Text  string `json:"text,omitempty"`
}

// PresenceStatus is this node's presence (mirrors presence.Status).
type PresenceStatus struct {
	State    string `json:"state"` // chosen state: online, away or busy
	Text     string `json:"text,omitempty"`
	LoggedOn bool   `json:"logged_on"` // false: appears offline to everyone
	Shown    string `json:"shown"`     // what other members see
}

// BrowseEntry is one member as browse lists it (mirrors discovery.Entry).
type BrowseEntry struct {
	Member
	Presence     string        `json:"presence"` // online, away, busy, offline
	PresenceText string        `json:"presence_text,omitempty"`
	LastSeen     *time.Time    `json:"last_seen,omitempty"`
	Addrs        []string      `json:"addrs"`
	Link         string        `json:"link,omitempty"` // self, direct, relayed, hole-punched; empty: not connected
	RTT          time.Duration `json:"rtt_ns"`
	Reach        string        `json:"reach,omitempty"` // connected, no route, unknown; empty for this node
	Shares       []ShareInfo   `json:"shares"`
	Services     []ServiceInfo `json:"services"`
}
