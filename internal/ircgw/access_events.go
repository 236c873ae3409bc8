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
	me, ok := s.self(wg)
	if !ok || strings.EqualFold(rc.Creator, me.Name) {
		return // the creator always may enter
	}
	ch, by := s.chanName(wg, rc.Room), s.nickOf(wg, rc.By)
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
