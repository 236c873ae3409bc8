package chat

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Conversation is a room or a direct conversation with its latest
// message in a time window (the IRC gateway's CHATHISTORY TARGETS and
// its playback of direct messages).
type Conversation struct {
	Room string    // a room's name, or
	Peer string    // the other member's name (a direct conversation)
	Last time.Time // its latest message in the window
}

// ConversationQuery selects conversations with messages from Since
// (inclusive) to Before (exclusive; zero: no bound): the Limit (0: 100)
// whose latest message is newest, or oldest with Oldest; Direct keeps
// direct conversations only. The answer is sorted by Last, oldest first.
type ConversationQuery struct {
	Since, Before time.Time
	Limit         int
	Oldest        bool
	Direct        bool
}

// Conversations lists the rooms and direct conversations of wg with
// messages in the query's window.
func (s *Service) Conversations(ctx context.Context, wg string, q ConversationQuery) ([]Conversation, error) {
	info, err := s.resolve(wg)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	self := s.self.String()
	// A conversation: a room's log, or for a direct message the other
	// member (the recipient in this node's own log "@PEER", else the
	// author).
	where := `workgroup=? AND log != '' AND hlc >= ?`
	args := []any{self, info.ID, int64(physical(q.Since))}
	if !q.Before.IsZero() {
		where += ` AND hlc < ?`
		args = append(args, int64(physical(q.Before)))
	}
	if q.Direct {
		where += ` AND log LIKE '@%'`
	}
	order := "DESC"
	if q.Oldest {
		order = "ASC"
	}
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, `SELECT conv, max(hlc) AS last FROM (
		SELECT CASE WHEN log NOT LIKE '@%' THEN log WHEN author=? THEN log ELSE '@' || author END AS conv, hlc
		FROM chat_messages WHERE `+where+`) GROUP BY conv ORDER BY last `+order+` LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("chat: conversations: %w", err)
	}
	defer rows.Close()
	var out []Conversation
	for rows.Next() {
		var conv string
		var last int64
		if err := rows.Scan(&conv, &last); err != nil {
			return nil, err
		}
		c := Conversation{Last: hlcTime(uint64(last))}
		if id, ok := strings.CutPrefix(conv, "@"); ok {
			p, err := peer.Decode(id)
			if err != nil {
				continue
			}
			c.Peer = s.nameOf(info.ID, p)
		} else {
			c.Room = conv
		}
		out = append(out, c)
	}
	if !q.Oldest {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, rows.Err()
}
