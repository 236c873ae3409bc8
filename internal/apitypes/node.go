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
	Network   NetworkStatus `json:"network"`
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

// PeerInfo is one connected peer (mirrors p2p.PeerInfo).
type PeerInfo struct {
	ID        string        `json:"id"`
	Addr      string        `json:"addr"`
	Direction string        `json:"direction"`
	Link      string        `json:"link"`
	RTT       time.Duration `json:"rtt_ns"`
	Since     time.Time     `json:"since"`
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
}
