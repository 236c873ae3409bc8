package chat

import (
	"github.com/libp2p/go-libp2p/core/peer"
)

// PresenceReader is the presence service's view of a workgroup's
// members: online, away, busy or offline. Chat does not build on the
// presence service (it owns no presence); the daemon joins the two by
// passing a Directory that also implements PresenceReader (daemon/chat.go).
// With none, replies carry no presence.
type PresenceReader interface {
	PresenceOf(wg string, p peer.ID) string
}

// presenceOf is the presence of member id (a peer ID) of workgroup wg
// ("" when the directory answers none or id is not a peer ID).
func (s *Service) presenceOf(wg, id string) string {
	pr, ok := s.dir.(PresenceReader)
	if !ok || id == "" {
		return ""
	}
	p, err := peer.Decode(id)
	if err != nil {
		return ""
	}
	return pr.PresenceOf(wg, p)
}

// withPresence fills each message's author presence (now, not when it
// was written: a history line shows who can answer). One lookup per
// author.
func (s *Service) withPresence(ms []Message) {
	if _, ok := s.dir.(PresenceReader); !ok {
		return
	}
	byAuthor := map[string]string{}
	for i := range ms {
		id := ms[i].AuthorID
		st, ok := byAuthor[id]
		if !ok {
			st = s.presenceOf(ms[i].Workgroup, id)
			byAuthor[id] = st
		}
		ms[i].Presence = st
	}
}

// unreadPresence fills the other member's presence of each direct
// conversation.
func (s *Service) unreadPresence(us []Unread) {
	for i := range us {
		if us[i].Peer == "" {
			continue
		}
		if m, ok := s.dir.ByName(us[i].Workgroup, us[i].Peer); ok {
			us[i].Presence = s.presenceOf(us[i].Workgroup, m.PeerID.String())
		}
	}
}

// RoomMember is a member in a room now (RoomMembers) with its presence
// now (online, away, busy, offline; "" when the node has no presence).
type RoomMember struct {
	Name     string `json:"name"`
	Presence string `json:"presence,omitempty"`
}

// RoomWho is RoomMembers with each member's presence: one directory and
// one presence lookup per member.
func (s *Service) RoomWho(wg, room string) ([]RoomMember, error) {
	names, err := s.RoomMembers(wg, room)
	if err != nil {
		return nil, err
	}
	info, _, err := s.room(wg, room)
	if err != nil {
		return nil, err
	}
	out := make([]RoomMember, 0, len(names))
	for _, n := range names {
		rm := RoomMember{Name: n}
		if m, ok := s.dir.ByName(info.ID, n); ok {
			rm.Presence = s.presenceOf(info.ID, m.PeerID.String())
		}
		out = append(out, rm)
	}
	return out, nil
}
