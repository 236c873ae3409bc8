package ircgw

import (
	"slices"
	"strings"
	"sync"

	"github.com/peerhood/peerhood/internal/events"
)

// A room's access list changed (room.changed, on every node, whoever
// changed it): when it now admits this node's member (by name or by a
// group it is in) and did not, and the room is not open, its clients get
// INVITE from the member that changed it; when it no longer admits the
// member (and the member did not create it), its clients in the channel
// get KICK and leave it.

// accessSeen is each room's access list as last seen, by workgroup NUL
// room.
type accessSeen struct {
	mu    sync.Mutex
	lists map[string][]string
}

func accessKey(wg, room string) string { return wg + "\x00" + room }

// swap records room's list and returns the one seen before (known false:
// a room not seen yet).
func (a *accessSeen) swap(key string, allow []string) (prev []string, known bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.lists == nil {
		a.lists = map[string][]string{}
	}
	prev, known = a.lists[key]
	a.lists[key] = append([]string{}, allow...)
	return prev, known
}

// seedAccess records every room's list at start, so the first change
// seen is compared with what was.
func (s *Server) seedAccess() {
	for _, w := range s.cfg.Backend.Workgroups() {
		rs, err := s.cfg.Backend.Rooms(w.ID)
		if err != nil {
			continue
		}
		for _, r := range rs {
			s.access.swap(accessKey(w.ID, r.Name), r.Allow)
		}
	}
}

// admits reports whether list admits member m: open, naming it, or
// naming a group:G it is in.
func admits(allow []string, m Member) bool {
	r := Room{Allow: allow}
	if openRoom(r) || named(r, m.Name) {
		return true
	}
	for _, a := range allow {
		if g, ok := strings.CutPrefix(a, "group:"); ok && slices.ContainsFunc(m.Groups, func(x string) bool { return strings.EqualFold(x, g) }) {
			return true
		}
	}
	return false
}

func (s *Server) roomChanged(wg string, rc events.RoomChanged) {
	prev, known := s.access.swap(accessKey(wg, rc.Room), rc.Allow)
	ch, by := s.chanName(wg, rc.Room), s.nickOf(wg, rc.By)
	if known {
		s.inviteNotify(wg, ch, by, prev, rc.Allow)
	}
	me, ok := s.self(wg)
	if !ok || strings.EqualFold(rc.Creator, me.Name) {
		return // the creator always may enter
	}
	was, now := known && admits(prev, me), admits(rc.Allow, me)
	switch {
	case now && !was && !openRoom(Room{Allow: rc.Allow}):
		for _, o := range s.registered() {
			if !o.inChannel(ch) {
				o.send(Line{Source: userhost(by), Command: "INVITE", Params: []string{o.selfNick(), ch}})
			}
		}
	case !now:
		for _, o := range s.registered() {
			if !o.inChannel(ch) {
				continue
			}
			o.mu.Lock()
			delete(o.channels, fold(ch))
			o.mu.Unlock()
			o.send(Line{Source: userhost(by), Command: "KICK", Params: []string{ch, o.selfNick(), "removed from " + ch + "'s list by " + rc.By}})
		}
	}
}

// inviteNotify tells this node's clients in channel ch that have
// invite-notify of each member a restricted room's list newly names:
// ":by INVITE nick ch" (by added them). A list that was open admitted
// them already, and a group entry names no one member: neither is an
// invite. This node's own member is told by roomChanged's INVITE.
func (s *Server) inviteNotify(wg, ch, by string, prev, allow []string) {
	if by == "" || openRoom(Room{Allow: prev}) || openRoom(Room{Allow: allow}) {
		return
	}
	var nicks []string
	for _, a := range allow {
		if strings.HasPrefix(a, "group:") || named(Room{Allow: prev}, a) {
			continue
		}
		if m, ok := s.cfg.Backend.Member(wg, a); ok && !m.Self {
			nicks = append(nicks, s.nickOf(wg, m.Name))
		}
	}
	if len(nicks) == 0 {
		return
	}
	for _, o := range s.registered() {
		if !o.has("invite-notify") || !o.inChannel(ch) {
			continue
		}
		for _, nick := range nicks {
			o.send(Line{Source: userhost(by), Command: "INVITE", Params: []string{nick, ch}})
		}
	}
}
