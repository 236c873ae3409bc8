package ircgw

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DM playback and CHATHISTORY TARGETS (doc.go, "History").

// playbackConversations bounds the direct conversations played back to
// a client at registration (the most recently active).
const playbackConversations = 20

// playbackDirect sends client c, which has no draft/chathistory, the
// direct messages it missed: for each of the most recently active
// direct conversations, those after its last-seen mark or, on a first
// visit (no mark), those still unread (at most Config.Playback, the
// newest), each conversation in a chathistory batch when c has batch.
func (s *Server) playbackDirect(c *client) {
	c.mu.Lock()
	user := c.user
	c.mu.Unlock()
	for _, w := range s.cfg.Backend.Workgroups() {
		ctx, cancel := ctxShort()
		convs, err := s.cfg.Backend.Conversations(ctx, w.ID, ConversationQuery{Limit: playbackConversations, Direct: true})
		cancel()
		if err != nil {
			s.cfg.Log.Warn("irc gateway: direct playback", "err", err)
			continue
		}
		for _, cv := range convs {
			if cv.Peer == "" {
				continue
			}
			s.mu.Lock()
			last := s.lastSeen[user+"\x00"+w.ID+"\x00"+fold(cv.Peer)]
			s.mu.Unlock()
			if !last.At.IsZero() && cv.Last.Before(last.At) {
				continue // nothing after the last message seen
			}
			s.playbackPeer(c, w.ID, cv.Peer, last)
		}
	}
}

// playbackPeer sends c what it missed of the conversation with peer.
func (s *Server) playbackPeer(c *client, wg, peer string, last seen) {
	ctx, cancel := ctxShort()
	defer cancel()
	msgs, err := s.cfg.Backend.History(ctx, wg, HistoryQuery{Peer: peer, Since: last.At, Limit: s.cfg.Playback + 2})
	if err != nil {
		s.cfg.Log.Warn("irc gateway: direct playback", "peer", peer, "err", err)
		return
	}
	if last.At.IsZero() {
		msgs = slices.DeleteFunc(msgs, func(m Message) bool { return !m.Unread })
	} else {
		msgs = msgRef{t: last.At, id: last.ID}.after(msgs, false)
	}
	if len(msgs) == 0 {
		return
	}
	nick := s.nickOf(wg, peer)
	if len(msgs) > s.cfg.Playback {
		msgs = msgs[len(msgs)-s.cfg.Playback:]
		c.send(Line{Source: serverName, Command: "NOTICE", Params: []string{c.nickName(),
			"Earlier messages with " + nick + " were missed too: see them with 'peerhood history @" + peer + "'"}})
	}
	s.sendBatch(c, nick, msgs)
}

// nickName is c's nick.
func (c *client) nickName() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nick
}

// chathistoryTargets answers CHATHISTORY TARGETS timestamp=A timestamp=B
// limit: the channels and nicks with messages between A and B (either
// order; the later bound exclusive), each with its latest message's
// time, in the direction from A to B (the first limit that way), in a
// draft/chathistory-targets batch when c has batch.
func (c *client) chathistoryTargets(l Line) {
	s := c.s
	if len(l.Params) < 4 {
		c.historyFail("NEED_MORE_PARAMS", "TARGETS", "Missing parameters")
		return
	}
	r1, ok1 := parseRef(l.Params[1])
	r2, ok2 := parseRef(l.Params[2])
	if !ok1 || !ok2 || r1.star || r2.star || r1.id != "" || r2.id != "" {
		c.historyFail("INVALID_PARAMS", "TARGETS", "Bad timestamp: timestamp=T")
		return
	}
	limit, err := strconv.Atoi(l.Params[3])
	if err != nil || limit < 0 {
		c.historyFail("INVALID_PARAMS", "TARGETS", "Bad limit")
		return
	}
	if limit == 0 || limit > HistoryMax {
		limit = HistoryMax
	}
	lo, hi, oldest := r1.t, r2.t, true
	if lo.After(hi) {
		lo, hi, oldest = hi, lo, false
	}
	type target struct {
		name string
		last time.Time
	}
	var ts []target
	for _, w := range s.cfg.Backend.Workgroups() {
		ctx, cancel := ctxShort()
		convs, err := s.cfg.Backend.Conversations(ctx, w.ID, ConversationQuery{Since: lo, Before: hi, Limit: limit, Oldest: oldest})
		cancel()
		if err != nil {
			c.historyFail("MESSAGE_ERROR", "TARGETS", err.Error())
			return
		}
		for _, cv := range convs {
			name := s.nickOf(w.ID, cv.Peer)
			if cv.Room != "" {
				name = s.chanName(w.ID, cv.Room)
			}
			ts = append(ts, target{name, cv.Last})
		}
	}
	slices.SortStableFunc(ts, func(a, b target) int {
		if oldest {
			return a.last.Compare(b.last)
		}
		return b.last.Compare(a.last)
	})
	ts = ts[:min(len(ts), limit)]
	batch := c.openBatch("draft/chathistory-targets")
	for _, t := range ts {
		var tags []Tag
		if batch != "" {
			tags = []Tag{{Key: "batch", Value: batch}}
		}
		c.send(Line{Tags: tags, Source: serverName, Command: "CHATHISTORY", Params: []string{"TARGETS", t.name, t.last.UTC().Format(timeFormat)}})
	}
	c.closeBatch(batch)
}

// isTargets reports whether a CHATHISTORY line is TARGETS.
func isTargets(l Line) bool { return strings.EqualFold(l.Param(0), "TARGETS") }

// allDirectConversations bounds the direct conversations a CHATHISTORY
// of target "*" reads per workgroup (the most recently active).
const allDirectConversations = 50

// allDirect answers CHATHISTORY sub * ...: the direct messages of every
// direct conversation, each asked as its own target would be, merged by
// time, then cut to limit the way sub reads (LATEST, BEFORE and a
// backward BETWEEN keep the newest; AFTER and a forward BETWEEN the
// oldest; AROUND those around the reference).
func (s *Server) allDirect(ctx context.Context, sub string, r1, r2 msgRef, limit int) ([]Message, error) {
	var all []Message
	for _, w := range s.cfg.Backend.Workgroups() {
		convs, err := s.cfg.Backend.Conversations(ctx, w.ID, ConversationQuery{Limit: allDirectConversations, Direct: true})
		if err != nil {
			return nil, err
		}
		for _, cv := range convs {
			if cv.Peer == "" {
				continue
			}
			msgs, err := s.historyQuery(ctx, w.ID, HistoryQuery{Peer: cv.Peer}, sub, r1, r2, limit)
			if err != nil {
				return nil, err
			}
			all = append(all, msgs...)
		}
	}
	slices.SortStableFunc(all, func(a, b Message) int { return a.Time.Compare(b.Time) })
	switch {
	case sub == "AFTER" || sub == "BETWEEN" && r1.t.Before(r2.t):
		return all[:min(len(all), limit)], nil
	case sub == "AROUND":
		i, _ := slices.BinarySearchFunc(all, r1.t, func(m Message, t time.Time) int { return m.Time.Compare(t) })
		lo := max(0, min(i-limit/2, len(all)-limit))
		return all[lo:min(len(all), lo+limit)], nil
	default:
		return newest(all, limit), nil
	}
}
