package workgroup

import (
	"slices"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// gossipsub judges a peer's topic subscriptions once, when they arrive
// (the gate's AllowTopic, see gate.go). A peer whose memberships change
// while it stays connected (a member that was on probation, one learnt
// by a roster sync, one removed from one workgroup but still in another,
// this node joining a workgroup the peer is in) must be judged again:
// the service remembers, per connected peer, the workgroups it knew it a
// member of, and resets the gossip streams of any peer whose set changed
// (p2p.Host.ResetGossip), so both routers exchange their subscriptions
// afresh and the filter sees them under the roster as it is now.
//
// Both ends forget the other's subscriptions when their own writer
// stream dies and learn them again from the other's new writer: should
// one end's forgetting come after the other's fresh subscriptions (a
// race), the subscriptions were lost. The host's routers now send their
// subscriptions again whenever the peer may have forgotten them
// (p2p gossipannounce.go), on every topic of both routers (roster,
// presence, chat's directory and rooms), without a reset. The periodic
// loop stays as the last resort (a peer that does not re-announce):
// a connected member of a workgroup that this node's router does not
// hold as a subscriber of that workgroup's roster topic (every member
// subscribes to it) has its gossip reset again, at most once per
// gossipRepairEvery and gossipRepairMax times per gossipRepairWindow
// (gossipsub itself reopens a writer at most four times in ten minutes).

// membershipKey names the workgroups of this node p is a member of.
func (s *Service) membershipKey(p peer.ID) string {
	ms := s.roster.Memberships(p) // sorted by workgroup
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.Workgroup
	}
	return strings.Join(ids, ",")
}

// noteGossipPeer records p's memberships as it connects, before its
// subscriptions arrive (streams are accepted once the connection
// notifications have run).
func (s *Service) noteGossipPeer(p peer.ID) {
	k := s.membershipKey(p)
	s.gossipMu.Lock()
	defer s.gossipMu.Unlock()
	if _, ok := s.gossipSeen[p]; !ok {
		s.gossipSeen[p] = k
	}
}

// noteAdmitted records the memberships of p, a peer this node has just
// admitted by invite, without resetting its gossip. None is needed: p
// subscribes to the workgroup's topics only once it holds its
// certificate, so after this roster lists it (its subscriptions are
// judged as a member's), and p resets its own gossip streams with this
// node as it joins (to p, this node just became a member), so both
// routers exchange their subscriptions afresh anyway. Left stale, the
// record made the next rejudgeGossip here reset p's gossip for nothing:
// typically the one right after this node publishes a removal or a
// rename (publish, then afterChange), and p lost that message.
func (s *Service) noteAdmitted(p peer.ID) {
	k := s.membershipKey(p)
	s.gossipMu.Lock()
	defer s.gossipMu.Unlock()
	if _, ok := s.gossipSeen[p]; ok {
		s.gossipSeen[p] = k
	}
}

// forgetGossipPeer drops p once its last connection closed.
func (s *Service) forgetGossipPeer(p peer.ID) {
	if s.host.Network().Connectedness(p) == network.Connected {
		return
	}
	s.gossipMu.Lock()
	delete(s.gossipSeen, p)
	delete(s.gossipResets, p)
	s.gossipMu.Unlock()
}

// rejudgeGossip resets the gossip streams of every connected peer whose
// memberships changed since they were last judged.
func (s *Service) rejudgeGossip() {
	for _, p := range s.host.Network().Peers() {
		k := s.membershipKey(p)
		s.gossipMu.Lock()
		old, ok := s.gossipSeen[p]
		s.gossipSeen[p] = k
		s.gossipMu.Unlock()
		if ok && old != k {
			s.log.Debug("memberships of a connected peer changed: its gossip subscriptions are judged again", "peer", p, "was", old, "now", k)
			s.resetGossip(p, s.now())
		}
	}
}

// Bounds of the gossip repair.
const (
	gossipRepairEvery  = 5 * time.Second
	gossipRepairWindow = 10 * time.Minute
	gossipRepairMax    = 3
)

// resetGossip resets p's gossip streams, remembering when.
func (s *Service) resetGossip(p peer.ID, now time.Time) {
	s.gossipMu.Lock()
	s.gossipResets[p] = append(slices.DeleteFunc(s.gossipResets[p], func(t time.Time) bool {
		return now.Sub(t) > gossipRepairWindow
	}), now)
	s.gossipMu.Unlock()
	s.host.ResetGossip(p)
}

// mayRepair reports whether p's gossip may be reset again now.
func (s *Service) mayRepair(p peer.ID, now time.Time) bool {
	s.gossipMu.Lock()
	defer s.gossipMu.Unlock()
	rs := slices.DeleteFunc(s.gossipResets[p], func(t time.Time) bool { return now.Sub(t) > gossipRepairWindow })
	s.gossipResets[p] = rs
	return len(rs) < gossipRepairMax && (len(rs) == 0 || now.Sub(rs[len(rs)-1]) >= gossipRepairEvery)
}

// repairGossip resets the gossip of connected members missing from the
// roster topic of a workgroup they are in, once they have been
// connected for gossipRepairEvery (their subscriptions take a moment).
func (s *Service) repairGossip() {
	now := s.now()
	for _, w := range s.roster.Workgroups() {
		s.psMu.Lock()
		t, ok := s.topics[w.ID]
		s.psMu.Unlock()
		if !ok {
			continue
		}
		subscribed := t.topic.ListPeers()
		for _, p := range s.host.Network().Peers() {
			if _, member := s.roster.Member(w.ID, p); !member || slices.Contains(subscribed, p) {
				continue
			}
			if !s.connectedSince(p, now.Add(-gossipRepairEvery)) || !s.mayRepair(p, now) {
				continue
			}
			s.log.Debug("a connected member is missing from roster gossip: its gossip is reset", "peer", p, "workgroup", w.ID)
			s.resetGossip(p, now)
		}
	}
}

// connectedSince reports whether p holds a connection opened before t.
func (s *Service) connectedSince(p peer.ID, t time.Time) bool {
	for _, c := range s.host.Network().ConnsToPeer(p) {
		if c.Stat().Opened.Before(t) {
			return true
		}
	}
	return false
}
