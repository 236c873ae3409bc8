package chat

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/workgroup"
)

// defaultLimit is History's limit when the query sets none.
const defaultLimit = 500

// History returns messages of a room or of the direct conversation with a
// member, oldest first (the newest Limit of those matching).
func (s *Service) History(ctx context.Context, wg string, q HistoryQuery) ([]Message, error) {
	info, err := s.resolve(wg)
	if err != nil {
		return nil, err
	}
	where, args, err := s.historyWhere(info, q)
	if err != nil {
		return nil, err
	}
	if !q.Since.IsZero() {
		where += ` AND m.hlc >= ?`
		args = append(args, int64(physical(q.Since)))
	}
	if !q.Before.IsZero() {
		where += ` AND m.hlc < ?`
		args = append(args, int64(physical(q.Before)))
	}
	from := `chat_messages m`
	if match := ftsQuery(q.Search); match != "" {
		// Index what is queued first: a search finds every message stored.
		if _, err := s.indexPending(ctx); err != nil {
			return nil, err
		}
		from += ftsJoin
		where += ftsWhere
		args = append(args, match)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, `SELECT raw, read FROM (SELECT m.raw, m.read, m.hlc, m.id FROM `+from+` WHERE `+where+
		` ORDER BY m.hlc DESC, m.id DESC LIMIT ?) ORDER BY hlc, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("chat: history: %w", err)
	}
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		var raw []byte
		var read bool
		if err := rows.Scan(&raw, &read); err != nil {
			return nil, err
		}
		// Parsed, not verified again: only checked messages are stored
		// (verified on receipt, before being held, or signed here).
		if m, _, err := parse(raw); err == nil {
			mm := s.toMessage(m)
			mm.Unread = !read && m.author() != s.self
			out = append(out, mm)
		}
	}
	return out, rows.Err()
}

// historyWhere selects the log of a query.
func (s *Service) historyWhere(info workgroup.Info, q HistoryQuery) (string, []any, error) {
	switch {
	case q.Room != "" && q.Peer != "":
		return "", nil, fmt.Errorf("%w: give a room or a member, not both", ErrInvalid)
	case q.Room != "":
		_, r, err := s.room(info.ID, q.Room)
		if err != nil {
			return "", nil, err
		}
		return `m.workgroup=? AND m.log=?`, []any{info.ID, r.name}, nil
	case q.Peer != "":
		mem, ok := s.dir.ByName(info.ID, strings.TrimPrefix(q.Peer, "@"))
		if !ok {
			return "", nil, fmt.Errorf("%w: no member %q in workgroup %s", ErrNotFound, q.Peer, info.Name)
		}
		return `m.workgroup=? AND ((m.log=? AND m.author=?) OR (m.log=? AND m.author=?))`,
			[]any{info.ID, "@" + mem.PeerID.String(), s.self.String(), "@" + s.self.String(), mem.PeerID.String()}, nil
	}
	return "", nil, fmt.Errorf("%w: name a room or a member", ErrInvalid)
}

// History's full-text search: the join and the condition, whose one
// argument is ftsQuery's (FuzzFTSQuery runs them).
const (
	ftsJoin  = ` JOIN chat_fts f ON f.rowid = m.rowid`
	ftsWhere = ` AND chat_fts MATCH ?`
)

// ftsQuery makes each word of a search a quoted FTS5 string (all must
// match), so user input is never FTS5 syntax. A NUL separates words too:
// FTS5 ends a string at one ("unterminated string", FuzzFTSQuery). A
// search of no words is "": no full-text search (FTS5 refuses an empty
// query as a syntax error).
func ftsQuery(q string) string {
	var parts []string
	for _, w := range strings.FieldsFunc(q, func(r rune) bool { return unicode.IsSpace(r) || r == 0 }) {
		parts = append(parts, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`)
	}
	return strings.Join(parts, " ")
}

// MarkRead marks the messages of a room or conversation read.
func (s *Service) MarkRead(ctx context.Context, wg string, q HistoryQuery) error {
	info, err := s.resolve(wg)
	if err != nil {
		return err
	}
	where, args, err := s.historyWhere(info, HistoryQuery{Room: q.Room, Peer: q.Peer})
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `UPDATE chat_messages AS m SET read=1 WHERE read=0 AND `+where, args...)
	return err
}

// Unread counts unread texts per room and conversation.
type Unread struct {
	Workgroup string    `json:"workgroup"`
	Room      string    `json:"room,omitempty"`
	Peer      string    `json:"peer,omitempty"`
	Count     int       `json:"count"`
	Last      time.Time `json:"last"`
	// Presence: for a conversation, the other member's presence now.
	Presence string `json:"presence,omitempty"`
}

// Unread lists the rooms and conversations with unread messages.
func (s *Service) Unread(ctx context.Context, wg string) ([]Unread, error) {
	info, err := s.resolve(wg)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT log, author, count(*), max(hlc) FROM chat_messages
		WHERE workgroup=? AND read=0 AND author != ? AND log != '' AND kind IN ('text','notice','alert')
		GROUP BY log, CASE WHEN log LIKE '@%' THEN author ELSE '' END ORDER BY max(hlc) DESC`, info.ID, s.self.String())
	if err != nil {
		return nil, fmt.Errorf("chat: unread: %w", err)
	}
	defer rows.Close()
	out := []Unread{}
	for rows.Next() {
		var log, author string
		var n int
		var last int64
		if err := rows.Scan(&log, &author, &n, &last); err != nil {
			return nil, err
		}
		u := Unread{Workgroup: info.ID, Count: n, Last: hlcTime(uint64(last))}
		if strings.HasPrefix(log, "@") {
			if p, err := peer.Decode(author); err == nil {
				u.Peer = s.nameOf(info.ID, p)
			}
		} else {
			u.Room = log
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
