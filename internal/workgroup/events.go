package workgroup

import (
	"github.com/peerhood/peerhood/internal/events"
)

// membersFor snapshots wg's members before a roster change, when events
// are wired (nil otherwise: no cost).
func (s *Service) membersFor(wg string) []Member {
	if s.cfg.Events == nil {
		return nil
	}
	return s.roster.Members(wg)
}

// noteMembers publishes member.joined and member.removed for how wg's
// members differ from before (membersFor) after a change that added
// items.
func (s *Service) noteMembers(wg string, before []Member, added Bundle) {
	if s.cfg.Events == nil || len(added.Certs)+len(added.Revs) == 0 {
		return
	}
	now := s.roster.Members(wg)
	was := make(map[string]bool, len(before))
	for _, m := range before {
		was[m.PeerID.String()] = true
	}
	is := make(map[string]bool, len(now))
	for _, m := range now {
		is[m.PeerID.String()] = true
		if !was[m.PeerID.String()] {
			s.cfg.Events.Publish(wg, events.MemberJoined{Peer: m.PeerID.String(), Name: m.Name})
		}
	}
	for _, m := range before {
		if !is[m.PeerID.String()] {
			reason := "expired"
			if s.roster.IsRevoked(wg, m.PeerID) {
				reason = "revoked"
			}
			s.cfg.Events.Publish(wg, events.MemberRemoved{Peer: m.PeerID.String(), Name: m.Name, Reason: reason})
		}
	}
}
