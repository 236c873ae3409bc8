package spool

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// The inbox as the user sees it: received messages listed, read and
// removed by their handle (the message ID, or the ID and the end of the
// sender's peer ID when two senders used the same ID).

// Inbox item states.
const (
	ItemNew      = "new"
	ItemAccepted = "accepted"
	ItemRemoved  = "removed" // kept (without content) so a replay is not stored again
)

// Item is one received message (mail or file copy).
type Item struct {
	ID        string      `json:"id"`
	From      string      `json:"from"`
	Sender    string      `json:"sender"`
	Workgroup string      `json:"workgroup"`
	Kind      string      `json:"kind"`
	Subject   string      `json:"subject,omitempty"`
	Body      string      `json:"body,omitempty"`
	Files     []FileEntry `json:"files"`
	Size      uint64      `json:"size"`
	Created   time.Time   `json:"created"`
	Received  time.Time   `json:"received"`
	Read      bool        `json:"read"`
	State     string      `json:"state"`
	// For (the inbox listing only): what the item belongs to in another
	// service (chat: the message whose attachments it carries).
	For *ItemFor `json:"for,omitempty"`
}

func nonNil(f []FileEntry) []FileEntry {
	if f == nil {
		return []FileEntry{}
	}
	return f
}

const itemCols = `handle, sender, sender_name, workgroup, kind, subject, body, files, size, created, received, read, state`

func scanItem(sc interface{ Scan(...any) error }) (Item, error) {
	var it Item
	var files string
	var size, created, received int64
	var read int
	if err := sc.Scan(&it.ID, &it.Sender, &it.From, &it.Workgroup, &it.Kind, &it.Subject, &it.Body, &files, &size, &created, &received, &read, &it.State); err != nil {
		return it, err
	}
	_ = json.Unmarshal([]byte(files), &it.Files)
	it.Files = nonNil(it.Files)
	it.Size, it.Read = uint64(size), read != 0
	it.Created, it.Received = time.UnixMilli(created), time.UnixMilli(received)
	return it, nil
}

// Inbox lists received messages of a kind (mail or file), newest first.
func (s *Service) Inbox(ctx context.Context, kind string, unreadOnly bool) ([]Item, error) {
	q := `SELECT ` + itemCols + ` FROM spool_inbox WHERE kind=? AND state != ?`
	if unreadOnly {
		q += ` AND read=0`
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY received DESC, handle`, kind, ItemRemoved)
	if err != nil {
		return nil, fmt.Errorf("list inbox: %w", err)
	}
	defer rows.Close()
	out := []Item{}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		if kind == KindMail {
			it.Body = ""
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// resolveHandle finds the inbox handle that h (a handle or a unique
// prefix of 4+ characters) names; an exact handle wins over longer ones.
func (s *Service) resolveHandle(ctx context.Context, h string) (string, error) {
	h = strings.TrimSpace(h)
	hexPart, _, _ := strings.Cut(strings.ToLower(h), "-")
	if len(h) < 4 {
		return "", fmt.Errorf("%w: ID %q is too short (give 4 or more characters)", ErrInvalid, h)
	}
	if _, err := hex.DecodeString(hexPart[:len(hexPart)&^1]); err != nil {
		return "", fmt.Errorf("%w: ID %q is not hexadecimal", ErrInvalid, h)
	}
	if !strings.Contains(h, "-") {
		h = strings.ToLower(h)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM spool_inbox WHERE handle=?`, h).Scan(&n); err == nil && n == 1 {
		return h, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT handle FROM spool_inbox WHERE handle >= ? AND handle < ? LIMIT 2`, h, h+"\x7f")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var hs []string
	for rows.Next() {
		var x string
		if err := rows.Scan(&x); err != nil {
			return "", err
		}
		hs = append(hs, x)
	}
	switch len(hs) {
	case 0:
		return "", fmt.Errorf("%w: no message %s", ErrNotFound, h)
	case 1:
		return hs[0], nil
	}
	return "", fmt.Errorf("%w: ID %s is ambiguous; give more characters", ErrInvalid, h)
}

// Item returns one inbox item; markRead marks it read.
func (s *Service) Item(ctx context.Context, id string, markRead bool) (Item, error) {
	full, err := s.resolveHandle(ctx, id)
	if err != nil {
		return Item{}, err
	}
	it, err := scanItem(s.db.QueryRowContext(ctx, `SELECT `+itemCols+` FROM spool_inbox WHERE handle=?`, full))
	if err != nil {
		return Item{}, err
	}
	if it.State == ItemRemoved {
		return Item{}, fmt.Errorf("%w: message %s was removed", ErrNotFound, full)
	}
	if markRead && !it.Read {
		if _, err := s.db.ExecContext(ctx, `UPDATE spool_inbox SET read=1 WHERE handle=?`, full); err != nil {
			return Item{}, fmt.Errorf("mark %s read: %w", full, err)
		}
		it.Read = true
	}
	return it, nil
}

// Remove deletes a received message's content. Its ID is remembered so a
// second delivery of it is acknowledged but not stored again.
func (s *Service) Remove(ctx context.Context, id string) (Item, error) {
	it, err := s.Item(ctx, id, false)
	if err != nil {
		return Item{}, err
	}
	var hash, staged string
	_ = s.db.QueryRowContext(ctx, `SELECT hash, staged FROM spool_inbox WHERE handle=?`, it.ID).Scan(&hash, &staged)
	if _, err := s.db.ExecContext(ctx, `UPDATE spool_inbox SET state=?, subject='', body='', files='[]', inline=NULL, staged='' WHERE handle=?`, ItemRemoved, it.ID); err != nil {
		return Item{}, fmt.Errorf("remove %s: %w", it.ID, err)
	}
	s.releaseCiphertext(ctx, hash)
	if staged != "" {
		os.RemoveAll(s.spool.plainDir(staged))
	}
	it.State = ItemRemoved
	return it, nil
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
