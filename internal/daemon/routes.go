package daemon

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/discovery"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/version"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// nodeInfo is what the node's own routes read of it.
type nodeInfo interface {
	Name() string
	Home() string
	Started() time.Time
	Host() *p2p.Host
	// Directory is the workgroups' rosters (names of peers, this node's
	// name in each workgroup).
	Directory() workgroup.Directory
	// Stop asks the node to shut down.
	Stop()
}

// Routes declares the node's own endpoints: status, peers, connect,
// version and shutdown.
func (n *Node) Routes(s *api.Server) { nodeRoutes(s, n) }

func nodeRoutes(s *api.Server, n nodeInfo) {
	api.Handle(s, "GET /v1/status", "Node name, peer ID, addresses, uptime, version and connected peers",
		func(ctx context.Context, r *http.Request, _ api.Empty) (apitypes.Status, error) {
			return status(n), nil
		})
	api.Handle(s, "GET /v1/peers", "Connected peers with link type and round-trip time",
		func(ctx context.Context, r *http.Request, _ api.Empty) ([]apitypes.PeerInfo, error) {
			return peerInfos(n.Directory(), n.Host().Peers()), nil
		})
	api.Handle(s, "POST /v1/connect", "Dial a peer by multiaddr (a diagnostic)",
		func(ctx context.Context, r *http.Request, req apitypes.ConnectRequest) (apitypes.ConnectResult, error) {
			return connect(ctx, n.Host(), req)
		})
	api.Handle(s, "GET /v1/version", "The running node's version",
		func(ctx context.Context, r *http.Request, _ api.Empty) (apitypes.VersionInfo, error) {
			return apitypes.VersionInfo{Version: version.String()}, nil
		})
	api.Handle(s, "POST /v1/shutdown", "Stop the node",
		func(ctx context.Context, r *http.Request, _ api.Empty) (api.Empty, error) {
			go n.Stop()
			return api.Empty{}, nil
		})
}

func connect(ctx context.Context, h *p2p.Host, req apitypes.ConnectRequest) (apitypes.ConnectResult, error) {
	if req.Addr == "" {
		return apitypes.ConnectResult{}, api.BadRequest("addr is required: a multiaddr ending in /p2p/PEERID")
	}
	if info, err := p2p.ParsePeerAddr(req.Addr); err != nil {
		return apitypes.ConnectResult{}, api.BadRequest("%v", err)
	} else if info.ID == h.ID() {
		return apitypes.ConnectResult{}, api.BadRequest("address %q is this node itself", req.Addr)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rep, err := h.ConnectAddr(ctx, req.Addr)
	if err != nil {
		return apitypes.ConnectResult{}, api.Unavailable("%v", err)
	}
	id := rep.ID
	res := apitypes.ConnectResult{PeerID: id.String(), Dialed: rep.Dialed.String(), Probed: rep.Probed}
	if rep.Via != nil {
		res.Via = rep.Via.String()
	}
	for _, p := range h.Peers() {
		if p.ID == id {
			res.Peer = peerInfo(nil, p)
		}
	}
	return res, nil
}

func status(n nodeInfo) apitypes.Status {
	h := n.Host()
	return apitypes.Status{
		Name:       n.Name(),
		PeerID:     h.ID().String(),
		Addresses:  h.Addrs(),
		Version:    version.String(),
		Started:    n.Started(),
		Uptime:     time.Since(n.Started()).Round(time.Millisecond),
		Home:       n.Home(),
		Peers:      peerInfos(n.Directory(), h.Peers()),
		Workgroups: nodeWorkgroups(n.Directory()),
		Removed:    nodeRemovals(n.Directory()),
		Network:    networkStatus(n),
		IRC:        ircAddr(n),
	}
}

// ircAddr is the IRC gateway's address when the node has one.
func ircAddr(n nodeInfo) string {
	if ia, ok := n.(interface{ IRCAddr() string }); ok {
		return ia.IRCAddr()
	}
	return ""
}

// networkStatus is what the node knows of its reachability and its
// routes to members, with the warnings status prints.
func networkStatus(n nodeInfo) apitypes.NetworkStatus {
	nat := n.Host().NAT()
	st := apitypes.NetworkStatus{
		Reachability: nat.Reachability, Relaying: nat.Relaying, RelayReason: nat.RelayReason,
		Relays: make([]string, 0, len(nat.Relays)), HolePunch: nat.HolePunch, Warnings: []string{},
	}
	for _, r := range nat.Relays {
		st.Relays = append(st.Relays, r.String())
	}
	if mr, ok := n.(interface {
		MemberRoutes() (discovery.RouteStatus, bool)
	}); ok {
		if r, ok := mr.MemberRoutes(); ok {
			st.Members, st.Connected, st.NoRoute = r.Members, r.Connected, r.NoRoute
			if r.Alone {
				st.Warnings = append(st.Warnings, fmt.Sprintf("no working address for any of the %d members: none reached (try `peerhood connect ADDR`)", r.Members))
			}
		}
	}
	if nat.Reachability == "unknown" && len(nat.Relays) == 0 && !nat.Relaying {
		st.Warnings = append(st.Warnings, "reachability unknown and no relay in use: members behind other NATs may not reach this node")
	}
	return st
}

// nodeWorkgroups lists this node's workgroups with its name in each.
func nodeWorkgroups(dir workgroup.Directory) []apitypes.NodeWorkgroup {
	out := []apitypes.NodeWorkgroup{}
	if dir == nil {
		return out
	}
	for _, w := range dir.Workgroups() {
		nw := apitypes.NodeWorkgroup{ID: w.ID, Name: w.Name, Members: len(dir.Members(w.ID))}
		if m, ok := dir.Self(w.ID); ok {
			nw.Self, nw.Admin = m.Name, m.HasRole(workgroup.RoleAdmin)
		}
		out = append(out, nw)
	}
	return out
}

// nodeRemovals lists the workgroups this node was removed from (a
// directory that is a roster knows them).
func nodeRemovals(dir workgroup.Directory) []apitypes.WorkgroupSummary {
	r, ok := dir.(interface{ Removals() []workgroup.Removal })
	if !ok {
		return nil
	}
	var out []apitypes.WorkgroupSummary
	for _, rm := range r.Removals() {
		out = append(out, workgroup.RemovalSummary(rm, len(dir.Members(rm.Workgroup.ID))))
	}
	return out
}

func peerInfos(dir workgroup.Directory, ps []p2p.PeerInfo) []apitypes.PeerInfo {
	out := make([]apitypes.PeerInfo, 0, len(ps))
	for _, p := range ps {
		out = append(out, peerInfo(dir, p))
	}
	return out
}

// peerInfo describes a connected peer, with its member names when dir is
// given.
func peerInfo(dir workgroup.Directory, p p2p.PeerInfo) apitypes.PeerInfo {
	pi := apitypes.PeerInfo{ID: p.ID.String(), Addr: p.Addr, Direction: p.Direction, Link: p.Link, RTT: p.RTT, Since: p.Since}
	if dir != nil {
		for _, m := range dir.Memberships(p.ID) {
			pi.Members = append(pi.Members, apitypes.PeerMember{Workgroup: m.Workgroup, WorkgroupName: m.WorkgroupName, Name: m.Name})
		}
	}
	return pi
}
