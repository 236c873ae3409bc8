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
	last := s.lastSeen[key]
	s.mu.Unlock()
	ctx, cancel := ctxShort()
	defer cancel()
	msgs, err := s.cfg.Backend.History(ctx, ref.WG, HistoryQuery{Room: ref.Room, Since: last.At, Limit: s.cfg.Playback + 2})
	if err != nil {
		s.cfg.Log.Warn("irc gateway: playback", "room", ref.Room, "err", err)
		return
	}
	if !last.At.IsZero() {
		// After the last message seen: by ID, or by time when it is not
		// among them (so many came after it that the limit cut it off).
		msgs = msgRef{t: last.At, id: last.ID}.after(msgs, false)
	}
	if len(msgs) == 0 {
		return // nothing missed: no empty batch on every join
	}
	if len(msgs) > s.cfg.Playback {
		msgs = msgs[len(msgs)-s.cfg.Playback:]
		c.send(Line{Source: serverName, Command: "NOTICE", Params: []string{ref.Name,
			"Earlier messages were missed too: see them with 'peerhood history " + ref.Room + "'"}})
	}
	s.sendBatch(c, ref.Name, msgs)
}

// sendBatch sends msgs to c, as a chathistory batch when c has batch.
func (s *Server) sendBatch(c *client, target string, msgs []Message) {
	s.mu.Lock()
	for _, m := range msgs {
		s.times.put(m.ID, m.Time)
	}
	s.mu.Unlock()
	batch := c.openBatch("chathistory", target)
	for _, m := range msgs {
		s.sendMessage(c, m, batch)
	}
	c.closeBatch(batch)
}

// openBatch starts a BATCH of kind (with params) when c has the batch
// capability and returns its reference, or "" (no batch) without it.
func (c *client) openBatch(kind string, params ...string) string {
	if !c.has("batch") {
		return ""
	}
	c.mu.Lock()
	c.batches++
	batch := "h" + strconv.Itoa(c.batches)
	c.mu.Unlock()
	c.send(Line{Source: serverName, Command: "BATCH", Params: append([]string{"+" + batch, kind}, params...)})
	return batch
}

// closeBatch ends the batch openBatch returned ("" ends nothing).
func (c *client) closeBatch(batch string) {
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
	if isTargets(l) {
		c.chathistoryTargets(l)
		return
	}
	sub := strings.ToUpper(l.Param(0))
	if sub == "" {
		c.historyFail("NEED_MORE_PARAMS", "*", "Missing parameters")
		return
	}
	want := map[string]int{"LATEST": 4, "BEFORE": 4, "AFTER": 4, "AROUND": 4, "BETWEEN": 5}[sub]
	if want == 0 {
		c.historyFail("UNKNOWN_COMMAND", sub, "Unknown command (LATEST, BEFORE, AFTER, AROUND, BETWEEN, TARGETS)")
		return
	}
	if len(l.Params) < want {
		c.historyFail("NEED_MORE_PARAMS", sub, "Missing parameters")
		return
	}
	target := l.Params[1]
	all := target == "*" // every direct conversation
	wg, q, shown, ok := "", HistoryQuery{}, "*", true
	if !all {
		wg, q, shown, ok = s.historyTarget(c, target)
	}
	if !ok {
		c.historyFail("INVALID_TARGET", sub, target, "No such channel or member")
		return
	}
	if equalFold(target, shown) {
		// The batch names the target as the client spelled it when that
		// is the same name (irctest's testChathistoryDMs asks with the
		// nick upper-cased); another spelling (#room/wg) is answered
		// with the channel's name.
		shown = target
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
	var msgs []Message
	if all {
		msgs, err = s.allDirect(ctx, sub, r1, r2, limit)
	} else {
		msgs, err = s.historyQuery(ctx, wg, q, sub, r1, r2, limit)
	}
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
		if !exists || !c.inChannel(ref.Name) {
			// A room the client is not in is no target (chathistory's
			// INVALID_TARGET; irctest's testInvalidTargets), as its
			// PRIVMSG is 404: history follows the channels joined.
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
		q.Since, q.Limit = r1.t, limit+sameInstant
		msgs, err := b.History(ctx, wg, q)
		return newest(r1.after(msgs, false), limit), err
	case "BEFORE":
		return s.lastBefore(ctx, wg, q, time.Time{}, r1, limit)
	case "AFTER":
		return s.firstAfter(ctx, wg, q, r1, time.Time{}, limit, false)
	case "AROUND":
		var before []Message
		if limit/2 > 0 {
			var err error
			if before, err = s.lastBefore(ctx, wg, q, time.Time{}, r1, limit/2); err != nil {
				return nil, err
			}
		}
		after, err := s.firstAfter(ctx, wg, q, r1, time.Time{}, limit-len(before), true)
		return append(before, after...), err
	default: // BETWEEN, exclusive at both ends
		if s.later(ctx, wg, q, r1, r2) {
			msgs, err := s.lastBefore(ctx, wg, q, r2.t, r1, limit+sameInstant)
			return newest(r2.after(msgs, false), limit), err
		}
		msgs, err := s.firstAfter(ctx, wg, q, r1, r2.upper(), limit+1+sameInstant, false)
		msgs = r2.before(msgs)
		return msgs[:min(len(msgs), limit)], err
	}
}

// later reports whether reference r1 is after r2: by time, or for two
// messages of one instant by their order in the history.
func (s *Server) later(ctx context.Context, wg string, q HistoryQuery, r1, r2 msgRef) bool {
	if !r1.t.Equal(r2.t) || r1.id == "" || r2.id == "" {
		return r1.t.After(r2.t)
	}
	q.Since, q.Before, q.Limit = r1.t, r1.upper(), historyScan
	msgs, err := s.cfg.Backend.History(ctx, wg, q)
	if err != nil {
		return false
	}
	i1 := slices.IndexFunc(msgs, func(m Message) bool { return m.ID == r1.id })
	i2 := slices.IndexFunc(msgs, func(m Message) bool { return m.ID == r2.id })
	return i1 > i2
}

// sameInstant is how many more messages a query asks for than it
// returns, for those sharing the reference's instant (chat's times are
// milliseconds).
const sameInstant = 64

// upper is the exclusive time bound that still holds r's message and
// those of the same instant before it.
func (r msgRef) upper() time.Time {
	if r.id != "" {
		return r.t.Add(time.Millisecond)
	}
	return r.t
}

// before keeps the messages before r (a msgid reference: before that
// message; a timestamp: earlier than it).
func (r msgRef) before(msgs []Message) []Message {
	if r.id != "" {
		if i := slices.IndexFunc(msgs, func(m Message) bool { return m.ID == r.id }); i >= 0 {
			return msgs[:i]
		}
	}
	return slices.DeleteFunc(msgs, func(m Message) bool { return !m.Time.Before(r.t) })
}

// lastBefore returns the newest n messages before r and from lo (none
// when zero).
func (s *Server) lastBefore(ctx context.Context, wg string, q HistoryQuery, lo time.Time, r msgRef, n int) ([]Message, error) {
	q.Since, q.Before, q.Limit = lo, r.upper(), n
	if r.id != "" {
		q.Limit += sameInstant
	}
	msgs, err := s.cfg.Backend.History(ctx, wg, q)
	return newest(r.before(msgs), n), err
}

// firstAfter returns the oldest n messages after r (from r with
// inclusive) and before hi (none when zero). History gives the newest
// of a range, so it walks back from hi in historyScan steps (each step's
// bound a millisecond past the oldest message it has, so messages of
// that instant are not skipped; the overlap is dropped by ID).
func (s *Server) firstAfter(ctx context.Context, wg string, q HistoryQuery, r msgRef, hi time.Time, n int, inclusive bool) ([]Message, error) {
	q.Since, q.Before, q.Limit = r.t, hi, historyScan
	var prev []Message
	cur, err := s.cfg.Backend.History(ctx, wg, q)
	// Only the oldest chunk and the one after it matter: n <= HistoryMax
	// + sameInstant < historyScan.
	for err == nil && len(cur) == historyScan {
		next := cur[0].Time.Add(time.Millisecond)
		if !q.Before.IsZero() && !next.Before(q.Before) {
			break // a whole chunk in one millisecond: no progress
		}
		q.Before = next
		prev = cur
		cur, err = s.cfg.Backend.History(ctx, wg, q)
	}
	if err != nil {
		return nil, err
	}
	msgs := joinByID(cur, prev)
	msgs = r.after(msgs, inclusive)
	return msgs[:min(len(msgs), n)], nil
}

// joinByID appends to older the messages of newer it does not hold.
func joinByID(older, newer []Message) []Message {
	if len(newer) == 0 {
		return older
	}
	have := make(map[string]bool, len(older))
	for _, m := range older {
		have[m.ID] = true
	}
	out := slices.Clip(older)
	for _, m := range newer {
		if !have[m.ID] {
			out = append(out, m)
		}
	}
	return out
}

func newest(msgs []Message, n int) []Message {
	if len(msgs) > n {
		return msgs[len(msgs)-n:]
	}
	return msgs
}
