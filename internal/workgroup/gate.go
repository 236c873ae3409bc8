package workgroup

import "github.com/libp2p/go-libp2p/core/peer"

// gate is the node's p2p.Gate:
//
//   - a member (valid, unrevoked certificate) of any workgroup this node
//     is in may always connect;
//   - a peer revoked in one of them (and member of none) is refused in
//     both directions;
//   - connections this node dials itself are allowed (a joiner must reach
//     its inviter; a member may reach one it has not heard of yet);
//   - any other inbound peer is allowed only while an invite of this node
//     is outstanding, and then reaches only the join protocol (every
//     other handler is wrapped with Guard);
//   - a node in no workgroup accepts every connection: it serves no
//     peerhood protocol but join, so there is nothing to keep out.
type gate struct{ s *Service }

func (g gate) AllowPeer(p peer.ID, inbound bool) bool {
	r := g.s.roster
	if r.MemberAnywhere(p) {
		return true
	}
	if r.RevokedAnywhere(p) {
		return false
	}
	if !inbound {
		return true
	}
	if !r.InAny() {
		return true
	}
	return g.s.inviteOutstanding()
}
