package spool

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Where accept wrote an item's files is kept (table spool_accepted), so
// another service can find them later: chat links a copy accepted with
// `peerhood inbox accept` to its message and sends the files to a member
// that asks for them (it hashes them again first).

// recordAccepted marks item handle accepted and keeps the absolute
// paths accept wrote its files to, in one statement set of tx: both or
// neither (apart, a full disk between them left an accepted item whose
// files nobody could find).
func recordAccepted(ctx context.Context, tx *sql.Tx, handle string, paths []string) error {
	b, err := json.Marshal(paths)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE spool_inbox SET state=?, inline=NULL, staged='', accepting='' WHERE handle=?`, ItemAccepted, handle); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO spool_accepted(handle, paths, at) VALUES(?,?,?)`,
		handle, string(b), time.Now().UnixMilli())
	return err
}

// Accepted returns the absolute paths accept wrote item handle's files
// to (nil when it was not accepted, or before this was recorded).
func (s *Service) Accepted(ctx context.Context, handle string) ([]string, error) {
	var raw string
	err := s.db.QueryRowContext(ctx, `SELECT paths FROM spool_accepted WHERE handle=?`, handle).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spool: where %s was accepted: %w", handle, err)
	}
	var paths []string
	if err := json.Unmarshal([]byte(raw), &paths); err != nil {
		return nil, fmt.Errorf("spool: where %s was accepted: %w", handle, err)
	}
	return paths, nil
}

// ItemFor is what a received item belongs to in another service, as
// that service tells it: chat names the message whose attached files a
// copy carries.
type ItemFor struct {
	Service string `json:"service"`          // "chat"
	ID      string `json:"id"`               // the message's ID
	Where   string `json:"where,omitempty"`  // "#room", or "@member" for a direct message
	Author  string `json:"author,omitempty"` // the message's author (member name)
}

// Describer fills in For of the items it knows (set by the daemon:
// spool does not know chat).
type Describer func(ctx context.Context, items []Item)

// OnInboxList sets the describer the inbox listing (GET /v1/inbox)
// calls.
func (s *Service) OnInboxList(d Describer) { s.describer.Store(&d) }

// describe fills in For of items with the describer, when one is set.
func (s *Service) describe(ctx context.Context, items []Item) {
	if d := s.describer.Load(); d != nil {
		(*d)(ctx, items)
	}
}
