package apitypes

import "time"

// Status is the node's status (GET /v1/status).
type Status struct {
	Name      string        `json:"name"`
	PeerID    string        `json:"peer_id"`
	Addresses []string      `json:"addresses"`
	Version   string        `json:"version"`
	Started   time.Time     `json:"started"`
	Uptime    time.Duration `json:"uptime_ns"`
	Home      string        `json:"home"`
	Peers     []PeerInfo    `json:"peers"`
	// Workgroups are the workgroups this node is in, with its name in
	// each (a node may be known by another name in one: join --name).
	Workgroups []NodeWorkgroup `json:"workgroups"`
	// Removed lists the workgroups this node was removed from, as
	// `workgroup ls` does ("removed from office by alice at ...").
	Removed []WorkgroupSummary `json:"removed,omitempty"`
	Network NetworkStatus      `json:"network"`
	// IRC is the IRC gateway's address ("" when off).
	IRC string `json:"irc,omitempty"`
}

// NetworkStatus is the node's reachability and its routes to members.
type NetworkStatus struct {
	Reachability string   `json:"reachability"` // AutoNAT (or forced): public, private, unknown
	Relaying     bool     `json:"relaying"`     // this node relays for members
	RelayReason  string   `json:"relay_reason"`
	Relays       []string `json:"relays"`     // members this node holds a relay reservation on
	HolePunch    string   `json:"hole_punch"` // "ready" or why not
	Members      int      `json:"members"`    // other members, all workgroups
	Connected    int      `json:"connected"`  // of them, connected
	NoRoute      int      `json:"no_route"`   // of them, whose last dial failed
	Warnings     []string `json:"warnings"`
}

// NodeWorkgroup is one workgroup of this node in its status.
type NodeWorkgroup struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Self    string `json:"self"` // this node's member name in it
	Admin   bool   `json:"admin"`
	Members int    `json:"members"`
}

// PeerMember is a connected peer's membership of one of this node's
// workgroups.
type PeerMember struct {
	Workgroup     string `json:"workgroup"` // ID
	WorkgroupName string `json:"workgroup_name"`
	Name          string `json:"name"`
}

// PeerInfo is one connected peer (built by the daemon from p2p.PeerInfo
// and the workgroups' rosters).
type PeerInfo struct {
	ID        string        `json:"id"`
	Addr      string        `json:"addr"`
	Direction string        `json:"direction"`
	Link      string        `json:"link"`
	RTT       time.Duration `json:"rtt_ns"`
	Since     time.Time     `json:"since"`
	// Members: its member names in this node's workgroups (none: not a
	// member, e.g. a peer on probation or a DHT neighbour).
	Members []PeerMember `json:"members,omitempty"`
}

// VersionInfo is the running node's version.
type VersionInfo struct {
	Version string `json:"version"`
}

// ConnectRequest asks the node to dial a peer.
type ConnectRequest struct {
	Addr string `json:"addr"`
}

// ConnectResult reports a made connection.
type ConnectResult struct {
	PeerID string   `json:"peer_id"`
	Peer   PeerInfo `json:"peer"`
	// Dialed is the address given (it answered); Via the address of the
	// connection the peer is kept on (Dialed, or another one it was
	// connected through already: then Probed, Dialed was checked by a
	// fresh connection of its own, closed at once).
	Dialed string `json:"dialed"`
	Via    string `json:"via"`
	Probed bool   `json:"probed,omitempty"`
}
