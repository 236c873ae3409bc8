package ircgw

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// historyScan is how many messages one History call fetches when the
// gateway walks a conversation forward (AFTER, BETWEEN oldest-first).
const historyScan = 1000

// playback sends client c the messages of ref it missed since its
// last-seen mark (at most Config.Playback, the newest), in a chathistory
// batch when c has batch.
func (s *Server) playback(c *client, ref chanRef) {
	c.mu.Lock()
	key := c.user + "\x00" + ref.WG + "\x00#" + fold(ref.Room)
	c.mu.Unlock()
	s.mu.Lock()
	since := s.lastSeen[key]
	s.mu.Unlock()
	ctx, cancel := ctxShort()
	defer cancel()
	msgs, err := s.cfg.Backend.History(ctx, ref.WG, HistoryQuery{Room: ref.Room, Since: since, Limit: s.cfg.Playback + 1})
	if err != nil {
		s.cfg.Log.Warn("irc gateway: playback", "room", ref.Room, "err", err)
		return
	}
	msgs = slices.DeleteFunc(msgs, func(m Message) bool { return !since.IsZero() && !m.Time.After(since) })
	if len(msgs) > s.cfg.Playback {
		msgs = msgs[len(msgs)-s.cfg.Playback:]
		c.send(Line{Source: serverName, Command: "NOTICE", Params: []string{ref.Name,
			"Earlier messages were missed too: see them with 'peerhood history " + ref.Room + "'"}})
	}
	s.sendBatch(c, ref.Name, msgs)
}

// sendBatch sends msgs to c, as a chathistory batch when c has batch.
func (s *Server) sendBatch(c *client, target string, msgs []Message) {
	batch := ""
	if c.has("batch") {
		c.mu.Lock()
		c.batches++
		batch = "h" + strconv.Itoa(c.batches)
		c.mu.Unlock()
		c.send(Line{Source: serverName, Command: "BATCH", Params: []string{"+" + batch, "chathistory", target}})
	}
	for _, m := range msgs {
		s.sendMessage(c, m, batch)
	}
	if batch != "" {
		c.send(Line{Source: serverName, Command: "BATCH", Params: []string{"-" + batch}})
	}
}

// msgRef is a CHATHISTORY reference: "*", timestamp=T or msgid=ID.
type msgRef struct {
	star bool
	t    time.Time
	id   string // chat ID, for msgid references
}

func parseRef(s string) (msgRef, bool) {
	if s == "*" {
		return msgRef{star: true}, true
	}
	if v, ok := strings.CutPrefix(s, "timestamp="); ok {
		t, err := time.Parse(time.RFC3339Nano, v)
		return msgRef{t: t.UTC()}, err == nil
	}
	if v, ok := strings.CutPrefix(s, "msgid="); ok {
		t, id, ok := parseMsgID(v)
		return msgRef{t: t, id: id}, ok
	}
	return msgRef{}, false
}

// after keeps the messages after r (a msgid reference: after that
// message; a timestamp: later than it).
func (r msgRef) after(msgs []Message, inclusive bool) []Message {
	if r.id != "" {
		if i := slices.IndexFunc(msgs, func(m Message) bool { return m.ID == r.id }); i >= 0 {
			if inclusive {
				return msgs[i:]
			}
			return msgs[i+1:]
		}
	}
	return slices.DeleteFunc(msgs, func(m Message) bool {
		return m.Time.Before(r.t) || !inclusive && m.Time.Equal(r.t)
	})
}

func (c *client) historyFail(code, sub string, more ...string) {
	c.send(Line{Source: serverName, Command: "FAIL", Params: append([]string{"CHATHISTORY", code, sub}, more...)})
}

// chathistory answers draft/chathistory's LATEST, BEFORE, AFTER, AROUND
// and BETWEEN.
func (c *client) chathistory(l Line) {
	s := c.s
	sub := strings.ToUpper(l.Param(0))
	want := map[string]int{"LATEST": 4, "BEFORE": 4, "AFTER": 4, "AROUND": 4, "BETWEEN": 5}[sub]
	if want == 0 {
		c.historyFail("INVALID_PARAMS", or(sub, "*"), "Unknown subcommand (LATEST, BEFORE, AFTER, AROUND, BETWEEN)")
		return
	}
	if len(l.Params) < want {
		c.historyFail("INVALID_PARAMS", sub, "Not enough parameters")
		return
	}
	target := l.Params[1]
	wg, q, shown, ok := s.historyTarget(c, target)
	if !ok {
		c.historyFail("INVALID_TARGET", sub, target, "No such channel or member")
		return
	}
	limit, err := strconv.Atoi(l.Params[want-1])
	if err != nil || limit < 0 {
		c.historyFail("INVALID_PARAMS", sub, "Bad limit")
		return
	}
	if limit == 0 || limit > HistoryMax {
		limit = HistoryMax
	}
	r1, ok1 := parseRef(l.Params[2])
	r2, ok2 := msgRef{}, true
	if sub == "BETWEEN" {
		r2, ok2 = parseRef(l.Params[3])
	}
	if !ok1 || !ok2 || (r1.star && sub != "LATEST") || r2.star {
		c.historyFail("INVALID_PARAMS", sub, "Bad message reference: timestamp=T, msgid=ID (or * for LATEST)")
		return
	}
	ctx, cancel := ctxShort()
	defer cancel()
	msgs, err := s.historyQuery(ctx, wg, q, sub, r1, r2, limit)
	if err != nil {
		c.historyFail("MESSAGE_ERROR", sub, target, err.Error())
		return
	}
	s.sendBatch(c, shown, msgs)
}

// historyTarget reads a CHATHISTORY target: a channel or a nick.
func (s *Server) historyTarget(c *client, target string) (wg string, q HistoryQuery, shown string, ok bool) {
	if strings.HasPrefix(target, "#") {
		ref, ok := s.parseChan(target)
		if !ok {
			return "", q, "", false
		}
		r, exists := s.roomOf(ref.WG, ref.Room)
		if !exists {
			return "", q, "", false
		}
		return ref.WG, HistoryQuery{Room: r.Name}, s.chanName(ref.WG, r.Name), true
	}
	wg, m, ok := s.resolveNick(target)
	if !ok {
		return "", q, "", false
	}
	return wg, HistoryQuery{Peer: m.Name}, s.nickOf(wg, m.Name), true
}

func (s *Server) historyQuery(ctx context.Context, wg string, q HistoryQuery, sub string, r1, r2 msgRef, limit int) ([]Message, error) {
	b := s.cfg.Backend
	switch sub {
	case "LATEST":
		if r1.star {
			q.Limit = limit
			return b.History(ctx, wg, q)
		}
		q.Since, q.Limit = r1.t, limit+1
		msgs, err := b.History(ctx, wg, q)
		msgs = r1.after(msgs, false)
		return newest(msgs, limit), err
	case "BEFORE":
		q.Before, q.Limit = r1.t, limit
		return b.History(ctx, wg, q)
	case "AFTER":
		return s.firstAfter(ctx, wg, q, r1, time.Time{}, limit, false)
	case "AROUND":
		q.Before, q.Limit = r1.t, limit/2
		var before []Message
		if limit/2 > 0 {
			var err error
			if before, err = b.History(ctx, wg, q); err != nil {
				return nil, err
			}
		}
		q.Before = time.Time{}
		after, err := s.firstAfter(ctx, wg, q, r1, time.Time{}, limit-len(before), true)
		return append(before, after...), err
	default: // BETWEEN, exclusive at both ends
		if r1.t.After(r2.t) {
			q.Since, q.Before, q.Limit = r2.t, r1.t, limit+1
			msgs, err := b.History(ctx, wg, q)
			return newest(r2.after(msgs, false), limit), err
		}
		msgs, err := s.firstAfter(ctx, wg, q, r1, r2.t, limit+1, false)
		if i := slices.IndexFunc(msgs, func(m Message) bool { return m.ID == r2.id || !m.Time.Before(r2.t) }); i >= 0 {
			msgs = msgs[:i]
		}
		return msgs[:min(len(msgs), limit)], err
	}
}

// firstAfter returns the oldest n messages after r (from r with
// inclusive) and before hi (none when zero). History gives the newest
// of a range, so it walks back from hi in historyScan steps.
func (s *Server) firstAfter(ctx context.Context, wg string, q HistoryQuery, r msgRef, hi time.Time, n int, inclusive bool) ([]Message, error) {
	q.Since, q.Before, q.Limit = r.t, hi, historyScan
	var prev []Message
	cur, err := s.cfg.Backend.History(ctx, wg, q)
	// Only the oldest chunk and the one after it matter: n <= HistoryMax
	// < historyScan.
	for err == nil && len(cur) == historyScan && !cur[0].Time.Equal(q.Before) {
		q.Before = cur[0].Time
		prev = cur
		cur, err = s.cfg.Backend.History(ctx, wg, q)
	}
	if err != nil {
		return nil, err
	}
	msgs := r.after(append(cur, prev...), inclusive)
	return msgs[:min(len(msgs), n)], nil
}

func newest(msgs []Message, n int) []Message {
	if len(msgs) > n {
		return msgs[len(msgs)-n:]
	}
	return msgs
}
