package presence

import (
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Routine heartbeats are not forwarded when their author reached every
// member directly.
//
// The host router flood-publishes: the author sends a message to every
// peer it knows on the topic. In a workgroup whose members are connected
// to each other that is every member, and what the mesh forwards on top
// (each receiver to its 2-6 mesh peers) and advertises (IHAVE to 3-4
// peers each heartbeat) is duplicates: an idle member of 20 wrote 7.75
// heartbeat frames a second, 1.9 of them its own, and read 7
// (records/2026-12-01-s12-idle.md). So the author marks a routine
// heartbeat Reached when every member it sees present is one of its
// topic peers (reachedAllLocked), and a receiver that got such a
// heartbeat straight from its author applies it in the validator and
// returns ValidationIgnore: gossipsub marks it seen (later copies are
// dropped as duplicates), neither forwards nor advertises it.
//
// What still travels the mesh: every heartbeat of a member that does
// not reach everyone present (a member behind a NAT whose hole punch
// failed, a MaxConns cap, one just connecting), changes (state, text,
// logon, logoff), the publishes on start and on joins (force), and gone
// reports; a Reached heartbeat that arrives through another peer (an
// older node forwarded it) is taken as any other. A member this author
// does not see present yet is one that has not heard it either way; its
// heartbeat reaches the author (through the mesh when not directly) and
// the author's next heartbeats are not marked until it is a topic peer.
// Older nodes ignore the field (key 9) and forward as before.

// reachedAllLocked reports whether every member of wg this node sees
// present is one of its peers on the topic (then its flood publish
// reaches each of them directly).
func (s *Service) reachedAllLocked(wg string, t *topicState) bool {
	peers := map[peer.ID]bool{}
	for _, p := range t.topic.ListPeers() {
		peers[p] = true
	}
	for p, r := range t.records {
		if p == s.self || peers[p] || r.state == Offline || s.goneLocked(wg, p, r) {
			continue
		}
		return false
	}
	return true
}

// takeReached applies m, a message of author on wg's topic received from
// peer from, when it is a Reached heartbeat straight from its author,
// and reports whether it did (the validator then ignores it: not
// forwarded, not advertised).
func (s *Service) takeReached(wg string, from, author peer.ID, m message, msg *pubsub.Message) bool {
	if !m.Reached || from != author || author == s.self {
		return false
	}
	s.mu.Lock()
	t := s.topics[wg]
	s.mu.Unlock()
	if t == nil {
		return false
	}
	s.heardFrom(t, author, m, msg.Message)
	return true
}
