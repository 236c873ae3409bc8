package ircgw

import (
	"strings"
)

// defaultWG is the ID of the workgroup whose rooms are plain #room:
// Config.Workgroup (by ID or name), else the backend's first.
func (s *Server) defaultWG() string {
	wgs := s.cfg.Backend.Workgroups()
	if want := s.cfg.Workgroup; want != "" {
		for _, w := range wgs {
			if w.ID == want || strings.EqualFold(w.Name, want) {
				return w.ID
			}
		}
	}
	if len(wgs) > 0 {
		return wgs[0].ID
	}
	return ""
}

// tagOf is how channel and nick names spell workgroup w after '@' or
// '/': its name when that is a plain token unique among this node's
// workgroups, else its ID.
func (s *Server) tagOf(w Workgroup) string {
	if w.Name == "" || strings.ContainsAny(w.Name, " ,@/#:!*?\x07") || strings.ContainsFunc(w.Name, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
		return w.ID
	}
	n := 0
	for _, o := range s.cfg.Backend.Workgroups() {
		if equalFold(o.Name, w.Name) || equalFold(o.ID, w.Name) {
			n++
		}
	}
	if n != 1 {
		return w.ID
	}
	return w.Name
}

// wgByTag finds a workgroup by its tag, name or ID.
func (s *Server) wgByTag(tag string) (string, bool) {
	for _, w := range s.cfg.Backend.Workgroups() {
		if w.ID == tag || equalFold(s.tagOf(w), tag) {
			return w.ID, true
		}
	}
	return "", false
}

func (s *Server) tagOfID(wg string) string {
	for _, w := range s.cfg.Backend.Workgroups() {
		if w.ID == wg {
			return s.tagOf(w)
		}
	}
	return wg
}

// chanName is room's channel: #room in the default workgroup,
// #room@tag in another.
func (s *Server) chanName(wg, room string) string {
	if wg == s.defaultWG() {
		return "#" + room
	}
	return "#" + room + "@" + s.tagOfID(wg)
}

// parseChan reads #room or #room@tag.
func (s *Server) parseChan(name string) (ref chanRef, ok bool) {
	room, found := strings.CutPrefix(name, "#")
	if !found || room == "" || strings.ContainsAny(room, " ,\x07") {
		return chanRef{}, false
	}
	wg := s.defaultWG()
	i := strings.LastIndexByte(room, '@')
	if i < 0 {
		i = strings.LastIndexByte(room, '/') // #room/wg, as nick/wg (room names have no '/')
	}
	if i >= 0 {
		if wg, ok = s.wgByTag(room[i+1:]); !ok {
			return chanRef{}, false
		}
		room = room[:i]
	}
	if room == "" || wg == "" {
		return chanRef{}, false
	}
	// Rooms are lower case (chat's names): the folded name is the
	// room's, so every reply names the channel as its JOIN did
	// (#GENERAL is #general in 352, 353, 324, PART...).
	room = fold(room)
	return chanRef{Name: s.chanName(wg, room), WG: wg, Room: room}, true
}

// nickOf is member name's nick: name in the default workgroup,
// name/tag in another.
func (s *Server) nickOf(wg, name string) string {
	if me, ok := s.self(wg); ok && equalFold(me.Name, name) {
		return s.selfNickDefault()
	}
	if wg == s.defaultWG() {
		return name
	}
	return name + "/" + s.tagOfID(wg)
}

// resolveNick finds the member a nick names.
func (s *Server) resolveNick(nick string) (wg string, m Member, ok bool) {
	wg, name := s.defaultWG(), nick
	if i := strings.LastIndexByte(nick, '/'); i >= 0 {
		if wg, ok = s.wgByTag(nick[i+1:]); !ok {
			return "", Member{}, false
		}
		name = nick[:i]
	}
	if wg == "" || name == "" || !asciiOnly(name) {
		return "", Member{}, false // the directory folds Unicode: "\u212Aim" would be kim
	}
	m, ok = s.cfg.Backend.Member(wg, name)
	return wg, m, ok
}

// self is this node's membership of wg.
func (s *Server) self(wg string) (Member, bool) { return s.cfg.Backend.Self(wg) }

// selfNickDefault is the nick every client of this node gets: the
// member's name in the default workgroup.
func (s *Server) selfNickDefault() string {
	if me, ok := s.self(s.defaultWG()); ok {
		return me.Name
	}
	return "peerhood"
}

func (c *client) selfNick() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nick
}

// isSelf reports whether a message's author is this node.
func (s *Server) isSelf(m Message) bool {
	me, ok := s.self(m.Workgroup)
	return ok && (me.PeerID != "" && me.PeerID == m.AuthorID || me.PeerID == "" && strings.EqualFold(me.Name, m.Author))
}
