package ircgw

import (
	"slices"
	"strings"
	"sync"
	"time"

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
// invite. This node's own member is told by roomChanged's INVITE. The
// client whose INVITE it was had 341 and is left out (sentInvites).
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
	senders := make([][]*client, len(nicks))
	for i, nick := range nicks {
		senders[i] = s.invited.take(wg, ch, nick, s)
	}
	for _, o := range s.registered() {
		if !o.has("invite-notify") || !o.inChannel(ch) {
			continue
		}
		for i, nick := range nicks {
			if !slices.Contains(senders[i], o) {
				o.send(Line{Source: userhost(by), Command: "INVITE", Params: []string{nick, ch}})
			}
		}
	}
}

// sentInvites are the INVITEs this node's clients sent whose
// room.changed was not seen yet: the client that sent one had 341, and
// gets no invite-notify INVITE of it (chat's event does not tell this
// node's clients apart). One whose event never came is forgotten after
// a minute.
type sentInvites struct {
	mu   sync.Mutex
	list []sentInvite
}

type sentInvite struct {
	by     *client
	wg     string
	room   string // chat's name
	member string
	at     time.Time
}

const sentInviteTTL = time.Minute

// add records c's INVITE of member to wg's room; the func returned
// forgets it (the invitation failed).
func (si *sentInvites) add(c *client, wg, room, member string) func() {
	si.mu.Lock()
	defer si.mu.Unlock()
	now := time.Now()
	si.list = slices.DeleteFunc(si.list, func(x sentInvite) bool { return now.Sub(x.at) > sentInviteTTL })
	inv := sentInvite{by: c, wg: wg, room: room, member: member, at: now}
	si.list = append(si.list, inv)
	return func() {
		si.mu.Lock()
		defer si.mu.Unlock()
		if i := slices.Index(si.list, inv); i >= 0 {
			si.list = slices.Delete(si.list, i, i+1)
		}
	}
}

// take returns (and forgets) the clients that invited nick to channel
// ch of wg.
func (si *sentInvites) take(wg, ch, nick string, s *Server) []*client {
	si.mu.Lock()
	defer si.mu.Unlock()
	var out []*client
	si.list = slices.DeleteFunc(si.list, func(x sentInvite) bool {
		if x.wg == wg && equalFold(s.chanName(x.wg, x.room), ch) && equalFold(s.nickOf(x.wg, x.member), nick) {
			out = append(out, x.by)
			return true
		}
		return false
	})
	return out
}
