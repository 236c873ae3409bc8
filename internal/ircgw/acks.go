package ircgw

import (
	"slices"
	"strconv"
	"sync"
)

// Last-seen marks move on proof of reading, the soju way: a line
// written to a socket may never be read (the client is closing it, its
// QUIT not read yet), so writing a message's line only notes its mark.
// After a burst of lines with marks the writer sends "PING :seen-N"
// (at most one outstanding per connection: the marks of lines written
// meanwhile wait for the next one); the matching PONG moves the marks
// noted before that PING. A client that drops before answering is
// played back those messages on its next connection (at least once);
// one that answered is not (exactly once).

// markPingPrefix starts the token of the PINGs that acknowledge marks.
const markPingPrefix = "seen-"

// acks holds a connection's marks not acknowledged yet.
type acks struct {
	mu       sync.Mutex
	written  map[string]seen // marks of lines written since the last PING
	inflight map[string]seen // marks of lines written before the PING waiting for its PONG
	token    string          // that PING's token; "" when none is outstanding
	n        uint64
}

// note records the mark of a line written.
func (a *acks) note(mk *mark) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.written == nil {
		a.written = map[string]seen{}
	}
	if !mk.At.Before(a.written[mk.key].At) { // of one instant, the later written
		a.written[mk.key] = mk.seen
	}
}

// ping returns the token of a PING to write now ("" for none): marks
// were written and no PING is outstanding.
func (a *acks) ping() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != "" || len(a.written) == 0 {
		return ""
	}
	a.n++
	a.token = markPingPrefix + strconv.FormatUint(a.n, 36)
	a.inflight, a.written = a.written, nil
	return a.token
}

// pong takes a PONG's parameters: when one is the outstanding token it
// returns the marks that PING covered, and whether more wait for a PING.
func (a *acks) pong(params []string) (marks map[string]seen, more, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token == "" {
		return nil, false, false
	}
	for _, p := range params {
		if p == a.token {
			marks, a.inflight, a.token = a.inflight, nil, ""
			return marks, len(a.written) > 0, true
		}
	}
	return nil, false, false
}

// marksPending reports whether a client that is not closing holds
// marks not acknowledged yet (tests wait for it; a closing client's
// never will be).
func (s *Server) marksPending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.clients {
		select {
		case <-c.quit:
			continue
		default:
		}
		c.acks.mu.Lock()
		n := len(c.acks.written) + len(c.acks.inflight)
		c.acks.mu.Unlock()
		if n > 0 {
			return true
		}
	}
	return false
}

// isMarkPong reports whether l answers the connection's outstanding
// mark PING (such a PONG costs no flood budget: a busy channel makes
// one per burst).
func (c *client) isMarkPong(l Line) bool {
	if l.Command != "PONG" {
		return false
	}
	c.acks.mu.Lock()
	defer c.acks.mu.Unlock()
	return c.acks.token != "" && slices.Contains(l.Params, c.acks.token)
}

// pong moves the marks the answered PING covered and, when lines were
// written since, has the writer send the next PING.
func (c *client) pong(l Line) {
	marks, more, ok := c.acks.pong(l.Params)
	if !ok {
		return
	}
	for k, v := range marks {
		c.s.setMark(&mark{key: k, seen: v})
	}
	if more {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}
