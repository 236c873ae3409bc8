package workgroup

import (
	"strings"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
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
	onProbation := g.s.probation.admit(p, g.s.now())
	return g.s.inviteOutstanding() || onProbation
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
// takes and which peers it sends a topic's messages to. A member may use
// every topic but those of another workgroup ("/peerhood/wg/<ID>/...",
// members of that workgroup only); a peer this node dialled itself and
// that is not revoked is treated alike until its certificate is known
// (the roster sync on that connection settles it). A peer admitted only
// to reach the join protocol gets no gossip.
func (g gate) AllowTopic(p peer.ID, topic string) bool {
	r := g.s.roster
	wg := topicWorkgroup(topic)
	if wg != "" {
		if _, ok := r.Member(wg, p); ok {
			return true
		}
		if r.IsRevoked(wg, p) {
			return false
		}
	} else if r.MemberAnywhere(p) {
		return true
	}
	if r.RevokedAnywhere(p) && !r.MemberAnywhere(p) {
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
