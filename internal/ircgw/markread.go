package ircgw

import (
	"strings"
	"time"
)

// draft/read-marker (ircv3.net/specs/extensions/read-marker): the last
// message the user READ in a conversation, kept per USER name next to
// the last-seen (delivered) marks, under the same key + "\x00read".
// MARKREAD target timestamp=T sets it (forward only, never past now) and
// moves the last-seen mark to T too (what was read needs no playback);
// MARKREAD target asks it ("*" when none is known, or the target names
// nothing; setting one for such a target is FAIL INVALID_PARAMS); a client with the capability is told it after
// each JOIN (before 366) and whenever another client of the same USER
// moves it.

const readSuffix = "\x00read"

// markTarget resolves a MARKREAD target to its last-seen key and the
// name the client knows it by.
func (s *Server) markTarget(c *client, target string) (key, shown string, ok bool) {
	c.mu.Lock()
	user := c.user
	c.mu.Unlock()
	if strings.HasPrefix(target, "#") {
		ref, ok := s.parseChan(target)
		if !ok {
			return "", "", false
		}
		r, exists := s.roomOf(ref.WG, ref.Room)
		if !exists {
			return "", "", false
		}
		return user + "\x00" + ref.WG + "\x00#" + fold(r.Name), s.chanName(ref.WG, r.Name), true
	}
	wg, m, ok := s.resolveNick(target)
	if !ok {
		return "", "", false
	}
	return user + "\x00" + wg + "\x00" + fold(m.Name), s.nickOf(wg, m.Name), true
}

// readMark is the MARKREAD parameter for key: timestamp=T or "*".
func (s *Server) readMark(key string) string {
	s.mu.Lock()
	at := s.lastSeen[key+readSuffix].At
	s.mu.Unlock()
	if at.IsZero() {
		return "*"
	}
	return "timestamp=" + at.UTC().Format(timeFormat)
}

// markRead answers MARKREAD.
func (c *client) markRead(l Line) {
	s := c.s
	if len(l.Params) == 0 {
		c.send(Line{Source: serverName, Command: "FAIL", Params: []string{"MARKREAD", "NEED_MORE_PARAMS", "Missing parameters"}})
		return
	}
	key, shown, ok := s.markTarget(c, l.Params[0])
	if !ok && len(l.Params) == 1 {
		// Asked of a channel or nick that names nothing: no read
		// timestamp is known (irctest's testGetNoReadMarker).
		c.send(Line{Source: serverName, Command: "MARKREAD", Params: []string{l.Params[0], "*"}})
		return
	}
	if !ok {
		c.send(Line{Source: serverName, Command: "FAIL", Params: []string{"MARKREAD", "INVALID_PARAMS", l.Params[0], "No such channel or member"}})
		return
	}
	if len(l.Params) == 1 {
		c.send(Line{Source: serverName, Command: "MARKREAD", Params: []string{shown, s.readMark(key)}})
		return
	}
	v, isTS := strings.CutPrefix(l.Params[1], "timestamp=")
	at, err := time.Parse(time.RFC3339Nano, v)
	if !isTS || err != nil {
		c.send(Line{Source: serverName, Command: "FAIL", Params: []string{"MARKREAD", "INVALID_PARAMS", l.Params[1], "Expected timestamp=YYYY-MM-DDThh:mm:ss.sssZ"}})
		return
	}
	if now := time.Now().UTC(); at.After(now) {
		at = now // never past now
	}
	at = at.UTC()
	s.mu.Lock()
	moved := at.After(s.lastSeen[key+readSuffix].At)
	if moved {
		s.lastSeen[key+readSuffix] = seen{At: at}
		if at.After(s.lastSeen[key].At) {
			s.lastSeen[key] = seen{At: at}
		}
		s.marksDirty = true
	}
	s.mu.Unlock()
	reply := Line{Source: serverName, Command: "MARKREAD", Params: []string{shown, s.readMark(key)}}
	c.send(reply)
	if !moved {
		return
	}
	c.mu.Lock()
	user := c.user
	c.mu.Unlock()
	for _, o := range s.registered() {
		o.mu.Lock()
		same := o != c && o.user == user && o.caps["draft/read-marker"]
		o.mu.Unlock()
		if same {
			o.send(reply)
		}
	}
}

// tellReadMark sends c the read mark of channel ref after its JOIN, when
// c has draft/read-marker.
func (s *Server) tellReadMark(c *client, ref chanRef) {
	if !c.has("draft/read-marker") {
		return
	}
	c.mu.Lock()
	key := c.user + "\x00" + ref.WG + "\x00#" + fold(ref.Room)
	c.mu.Unlock()
	c.send(Line{Source: serverName, Command: "MARKREAD", Params: []string{ref.Name, s.readMark(key)}})
}
