package chat

import (
	"context"
	"database/sql"
	"strconv"
)

// indexBatchIDs is indexBatch with chat_ids runs of 1 << shift rowids
// (BenchmarkFTSPair variants named +idsN; a lookup seeks every run, so
// only the indexer's cost is measured).
func indexBatchIDs(shift int) func(*Service, context.Context, int) (int, error) {
	return func(s *Service, ctx context.Context, limit int) (int, error) {
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
				return nil
			}
			for _, q := range []string{
				`INSERT INTO chat_fts(rowid, text) SELECT rowid, text FROM chat_messages WHERE rowid > ?1 AND rowid <= ?2`,
				`INSERT INTO chat_ids(run, k, msg) SELECT rowid >> ` + strconv.Itoa(shift) + `, substr(id, 1, 16), rowid FROM chat_messages WHERE rowid > ?1 AND rowid <= ?2 ORDER BY 1, 2`,
				`INSERT INTO chat_chain(workgroup, log, author, seq, msg) SELECT workgroup, log, author, seq, rowid FROM chat_messages WHERE rowid > ?1 AND rowid <= ?2 ORDER BY 1, 2, 3, 4`,
				`UPDATE chat_index_mark SET upto = ?2`,
			} {
				if _, err := tx.ExecContext(ctx, q, lo, hi.Int64); err != nil {
					return err
				}
			}
			return nil
		})
		return int(n), err
	}
}
