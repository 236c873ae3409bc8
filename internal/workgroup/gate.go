package workgroup

import (
	"strings"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// gate is the node's p2p.Gate:
//
//   - a member (valid, unrevoked certificate) of any workgroup this node
//     is in may always connect;
//   - a peer revoked in one of them (and member of none) is refused in
//     both directions, but for the moment (at most notifyTimeout) it is
//     being told of its revocation over the connections it holds;
//   - connections this node dials itself are allowed (a joiner must reach
//     its inviter; a member may reach one it has not heard of yet);
//   - any other inbound peer is allowed while an invite of this node is
//     outstanding, or on probation (a few at a time, for probation) to
//     present a member certificate over /peerhood/hello/1; it reaches
//     only the join protocol until it is a member (every other handler
//     is wrapped with Guard);
//   - a node in no workgroup accepts every connection: it serves no
//     peerhood protocol but join, so there is nothing to keep out.
type gate struct{ s *Service }

func (g gate) AllowPeer(p peer.ID, inbound bool) bool {
	return g.allow(p, inbound, nil)
}

// AllowPeerAddr implements p2p.AddrGate: as AllowPeer, for a connection
// being set up from remote; an unknown inbound peer is taken on
// probation (probation.go), evicting the oldest from its address or
// subnet if those are full.
func (g gate) AllowPeerAddr(p peer.ID, inbound bool, remote ma.Multiaddr) bool {
	return g.allow(p, inbound, remote)
}

// allow decides; with remote nil it only tells whether p holds a place on
// probation (connections already there: Enforce, the dial check).
func (g gate) allow(p peer.ID, inbound bool, remote ma.Multiaddr) bool {
	r := g.s.roster
	if r.MemberAnywhere(p) {
		return true
	}
	if r.RevokedAnywhere(p) {
		// A peer just revoked keeps its connections while it is told of
		// its revocation (at most notifyTimeout); its streams are refused
		// meanwhile, as it is no member.
		return g.s.beingNotified(p)
	}
	if !inbound {
		return true
	}
	if !r.InAny() {
		return true
	}
	// A member that joined while this node was away is unknown here: on
	// probation it may present its certificate (hello.go).
	// (A joiner is taken on probation too while places are free, so a
	// member is asked for its certificate even while an invite is out.)
	now := g.s.now()
	onProbation := g.s.probation.onProbation(p, now)
	if remote != nil && !onProbation {
		var evicted []peer.ID
		onProbation, evicted = g.s.probation.admit(p, remote, now)
		for _, q := range evicted {
			// Not once the service closes: nothing of it runs after
			// its Close (the gate stays on the host until it closes).
			g.s.bg.Go(func() { g.s.dropEvicted(q) })
		}
	}
	return g.s.inviteOutstanding() || onProbation
}

// dropEvicted disconnects a peer evicted from probation, unless the gate
// still admits it otherwise (an invite is out, it is a member now).
func (s *Service) dropEvicted(p peer.ID) {
	if !(gate{s}).AllowPeer(p, true) {
		s.log.Debug("evicted from probation", "peer", p)
		_ = s.host.Network().ClosePeer(p)
	}
}

// allowJoin reports whether p may use the join protocol: as AllowPeer for
// an inbound peer, but a peer the gate holds only on probation (to
// present its certificate over hello) may not.
func (g gate) allowJoin(p peer.ID) bool {
	r := g.s.roster
	if r.MemberAnywhere(p) {
		return true // refused inside as a member already
	}
	if r.RevokedAnywhere(p) {
		return false
	}
	return !r.InAny() || g.s.inviteOutstanding()
}

// AllowTopic implements p2p.TopicGate: which peers' gossip this node
// takes and which peers it sends a topic's messages to.
//
// A per-workgroup topic ("/peerhood/wg/<ID>/...", every peerhood topic)
// is used only with peers this node knows as members of THAT workgroup:
// a member of another workgroup of this node, a peer it dialled, a peer
// on probation get none of it. A peer whose membership is learnt later
// (hello, roster sync) has its gossip streams reset (gossip.go), so its
// subscriptions are judged again. Any other topic is refused.
//
// Topic "" asks whether the peer's gossip RPCs are taken at all: from
// members of any workgroup of this node, and from a peer this node
// dialled that is not revoked (its messages still pass the topic
// validators, which check the author's membership).
func (g gate) AllowTopic(p peer.ID, topic string) bool {
	r := g.s.roster
	if topic != "" {
		wg := topicWorkgroup(topic)
		if wg == "" {
			return false
		}
		_, ok := r.Member(wg, p)
		return ok
	}
	if r.MemberAnywhere(p) {
		return true
	}
	if r.RevokedAnywhere(p) {
		return false
	}
	if !r.InAny() {
		return true
	}
	for _, c := range g.s.host.Network().ConnsToPeer(p) {
		if c.Stat().Direction == network.DirOutbound {
			return true
		}
	}
	return false
}

// topicWorkgroup returns the workgroup ID of a per-workgroup topic
// ("/peerhood/wg/<ID>/..."), else "".
func topicWorkgroup(topic string) string {
	rest, ok := strings.CutPrefix(topic, "/peerhood/wg/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}

// AllowReserve implements p2p.RelayGate: only a member of a workgroup of
// this node may hold a relay reservation here; a stranger never, not
// even while an invite is outstanding or it is on probation.
func (g gate) AllowReserve(p peer.ID) bool { return g.s.roster.MemberAnywhere(p) }

// AllowCircuit implements p2p.RelayGate: src may reach dst through this
// node only when both are members of one workgroup this node is in.
func (g gate) AllowCircuit(src, dst peer.ID) bool {
	for _, m := range g.s.roster.Memberships(src) {
		if _, ok := g.s.roster.Member(m.Workgroup, dst); ok {
			return true
		}
	}
	return false
}
