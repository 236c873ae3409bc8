package chat

import (
	"context"
	"database/sql"
	"strconv"
)

// indexBatchOneMark is the indexer's transaction before chat/0006 (one
// mark, chat_index_mark, for chat_fts, chat_ids and chat_chain): the
// migration tests write databases of chat schema 4 and 5 with it, and
// BenchmarkFTSBurst runs it as the baseline (on a schema-6 database it
// leaves chat_fts_mark behind, which the baseline never reads).
func (s *Service) indexBatchOneMark(ctx context.Context, limit int) (int, error) {
	defer s.storeMu.give(s.storeMu.take(holdIndex))
	var n int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var lo int64
		var hi sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT upto FROM chat_index_mark`).Scan(&lo); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT max(rowid), count(*) FROM (SELECT rowid FROM chat_messages WHERE rowid > ? ORDER BY rowid LIMIT ?)`,
			lo, limit).Scan(&hi, &n); err != nil {
			return err
		}
		if !hi.Valid {
			return nil // nothing queued
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO chat_fts(rowid, text) SELECT rowid, text FROM chat_messages WHERE rowid > ? AND rowid <= ?`, lo, hi.Int64); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO chat_ids(run, k, msg)
			SELECT rowid >> `+strconv.Itoa(idRunShift)+`, substr(id, 1, 16), rowid FROM chat_messages WHERE rowid > ? AND rowid <= ? ORDER BY 1, 2`, lo, hi.Int64); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO chat_chain(workgroup, log, author, seq, msg)
			SELECT workgroup, log, author, seq, rowid FROM chat_messages WHERE rowid > ? AND rowid <= ? ORDER BY 1, 2, 3, 4`, lo, hi.Int64); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE chat_index_mark SET upto = ?`, hi.Int64)
		return err
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}
