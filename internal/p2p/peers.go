package p2p

import (
	"sort"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Link types of a connection.
const (
	LinkDirect  = "direct"
	LinkRelayed = "relayed"
	// LinkHolePunched is a direct connection opened by a DCUtR hole punch
	// (it replaced a relayed one).
	LinkHolePunched = "hole-punched"
)

// PeerInfo describes one connected peer.
type PeerInfo struct {
	ID        peer.ID       `json:"id"`
	Addr      string        `json:"addr"`
	Direction string        `json:"direction"`
	Link      string        `json:"link"`
	RTT       time.Duration `json:"rtt_ns"`
	Since     time.Time     `json:"since"`
}

// LinkOf returns the link type of a connection's remote address.
func LinkOf(a ma.Multiaddr) string {
	for _, c := range a {
		if c.Protocol().Code == ma.P_CIRCUIT {
			return LinkRelayed
		}
	}
	return LinkDirect
}

// Link returns the link type of the best connection to p ("" when not
// connected).
func (h *Host) Link(p peer.ID) string {
	link := ""
	for _, c := range h.Network().ConnsToPeer(p) {
		l := h.linkOf(c)
		if link == "" || link == LinkRelayed {
			link = l
		}
	}
	return link
}

// Peers lists connected peers, one entry per peer (its best connection:
// a direct one over a relayed one).
func (h *Host) Peers() []PeerInfo {
	best := map[peer.ID]PeerInfo{}
	for _, c := range h.Network().Conns() {
		st := c.Stat()
		pi := PeerInfo{
			ID:        c.RemotePeer(),
			Addr:      c.RemoteMultiaddr().String(),
			Direction: dirString(st.Direction),
			Link:      h.linkOf(c),
			Since:     st.Opened,
		}
		if old, ok := best[pi.ID]; ok && old.Link != LinkRelayed {
			continue
		}
		best[pi.ID] = pi
	}
	out := make([]PeerInfo, 0, len(best))
	for _, p := range best {
		p.RTT = h.rtt.get(p.ID, pathOf(p.Link))
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func dirString(d network.Direction) string {
	switch d {
	case network.DirInbound:
		return "inbound"
	case network.DirOutbound:
		return "outbound"
	}
	return "unknown"
}

// Addrs returns the node's full addresses (with /p2p/PEERID).
func (h *Host) Addrs() []string {
	var out []string
	for _, a := range h.Host.Addrs() {
		out = append(out, a.String()+"/p2p/"+h.ID().String())
	}
	return out
}
