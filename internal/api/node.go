package api

import (
	"context"
	"net/http"
	"time"

	"github.com/peerhood/peerhood/internal/p2p"
)

// NodeInfo is what the daemon exposes of itself to the API.
type NodeInfo interface {
	Name() string
	Home() string
	Started() time.Time
	Host() *p2p.Host
	// Stop asks the node to shut down.
	Stop()
}

// Backend is what the API serves: the node, and a registration hook per
// service so each service's routes live in its own file.
type Backend struct {
	Node  NodeInfo
	Extra []func(*Server)
}

// Status is the node's status.
type Status struct {
	Name      string         `json:"name"`
	PeerID    string         `json:"peer_id"`
	Addresses []string       `json:"addresses"`
	Version   string         `json:"version"`
	Started   time.Time      `json:"started"`
	Uptime    time.Duration  `json:"uptime_ns"`
	Home      string         `json:"home"`
	Peers     []p2p.PeerInfo `json:"peers"`
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
	PeerID string       `json:"peer_id"`
	Peer   p2p.PeerInfo `json:"peer"`
}

func (s *Server) nodeRoutes() {
	Handle(s, "GET /v1/status", "Node name, peer ID, addresses, uptime, version and connected peers",
		func(ctx context.Context, r *http.Request, _ Empty) (Status, error) {
			return s.status(), nil
		})
	Handle(s, "GET /v1/peers", "Connected peers with link type and round-trip time",
		func(ctx context.Context, r *http.Request, _ Empty) ([]p2p.PeerInfo, error) {
			return s.backend.Node.Host().Peers(), nil
		})
	Handle(s, "POST /v1/connect", "Dial a peer by multiaddr (a diagnostic)",
		func(ctx context.Context, r *http.Request, req ConnectRequest) (ConnectResult, error) {
			if req.Addr == "" {
				return ConnectResult{}, BadRequest("addr is required: a multiaddr ending in /p2p/PEERID")
			}
			h := s.backend.Node.Host()
			if info, err := p2p.ParsePeerAddr(req.Addr); err != nil {
				return ConnectResult{}, BadRequest("%v", err)
			} else if info.ID == h.ID() {
				return ConnectResult{}, BadRequest("address %q is this node itself", req.Addr)
			}
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			id, err := h.Connect(ctx, req.Addr)
			if err != nil {
				return ConnectResult{}, Unavailable("%v", err)
			}
			res := ConnectResult{PeerID: id.String()}
			for _, p := range h.Peers() {
				if p.ID == id {
					res.Peer = p
				}
			}
			return res, nil
		})
	Handle(s, "GET /v1/version", "The running node's version",
		func(ctx context.Context, r *http.Request, _ Empty) (VersionInfo, error) {
			return VersionInfo{Version: versionString()}, nil
		})
	Handle(s, "POST /v1/shutdown", "Stop the node",
		func(ctx context.Context, r *http.Request, _ Empty) (Empty, error) {
			go s.backend.Node.Stop()
			return Empty{}, nil
		})
}

func (s *Server) status() Status {
	n := s.backend.Node
	h := n.Host()
	peers := h.Peers()
	if peers == nil {
		peers = []p2p.PeerInfo{}
	}
	return Status{
		Name:      n.Name(),
		PeerID:    h.ID().String(),
		Addresses: h.Addrs(),
		Version:   versionString(),
		Started:   n.Started(),
		Uptime:    time.Since(n.Started()).Round(time.Millisecond),
		Home:      n.Home(),
		Peers:     peers,
	}
}
