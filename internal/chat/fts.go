package chat

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Full-text indexing runs beside the store path, not in it: storing a
// message queues its rowid in chat_fts_pending (a trigger, in the store's
// own transaction, so nothing is lost to a crash between store and
// index), and indexPending moves the queue into chat_fts in batches:
// every ftsEvery, at start, and before a search (so a search finds every
// message stored when it began). FTS5 wrote a segment per commit when it
// indexed in the store's transaction: ~8% of a receiving member's CPU.

// ftsEvery is how often queued messages are indexed.
const ftsEvery = time.Second

// ftsBatch bounds the messages indexed per transaction (each holds the
// store lock: a few milliseconds).
const ftsBatch = 256

// indexPending indexes every queued message, ftsBatch per transaction,
// and returns how many it indexed.
func (s *Service) indexPending(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.indexBatch(ctx)
		total += n
		if err != nil {
			return total, fmt.Errorf("chat: full-text index: %w", err)
		}
		if n < ftsBatch {
			return total, nil
		}
	}
}

// indexBatch indexes up to ftsBatch queued messages in one transaction,
// under the store lock (the store path's writers wait on it rather than
// on SQLite's busy handler).
func (s *Service) indexBatch(ctx context.Context) (int, error) {
	s.storeMu.Lock()
	defer s.storeMu.Unlock()
	var n int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var hi sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT max(msg) FROM (SELECT msg FROM chat_fts_pending ORDER BY msg LIMIT ?)`, ftsBatch).Scan(&hi); err != nil {
			return err
		}
		if !hi.Valid {
			return nil // nothing queued
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO chat_fts(rowid, text)
			SELECT m.rowid, m.text FROM chat_fts_pending p JOIN chat_messages m ON m.rowid = p.msg WHERE p.msg <= ?`, hi.Int64); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM chat_fts_pending WHERE msg <= ?`, hi.Int64)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// indexer indexes queued messages every ftsEvery when something was
// stored (and once at start: messages queued before a crash or stop).
func (s *Service) indexer() {
	defer s.wg.Done()
	t := time.NewTicker(ftsEvery)
	defer t.Stop()
	for {
		if s.ftsDirty.Swap(false) {
			if _, err := s.indexPending(s.ctx); err != nil && s.ctx.Err() == nil {
				s.ftsDirty.Store(true)
				s.log.Warn("chat: full-text index", "err", err)
			}
		}
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
	}
}
