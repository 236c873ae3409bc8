package chat

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/store"
)

// BenchmarkFTSParts times the indexer's statements (indexBatch's SQL,
// repeated here) one by one in CPU time, per message: begin (the mark and
// the slice's bounds), fts, ids, chain, mark, commit. FTS5 writes its
// segment and merges when the next statement opens a savepoint, so that
// statement carries it: PH_PARTS_ORDER (default 123: fts, ids, chain;
// 231 puts fts last, so the mark update carries it) and PH_PARTS_IDS (the
// chat_ids statement) try other forms. PH_PRELOAD, PH_FTS_DDL and
// PH_FTS_BATCH (the slice; default ftsSlice) as BenchmarkFTSIndex.
//
//	PH_PRELOAD=28000 go test -run '^$' -bench FTSParts -benchtime 8192x ./internal/chat/
func BenchmarkFTSParts(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "node.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if ddl := os.Getenv("PH_FTS_DDL"); ddl != "" {
		if _, err := db.ExecContext(ctx, `DROP TABLE chat_fts; `+ddl); err != nil {
			b.Fatal(err)
		}
	}
	s := &Service{db: db}
	s.countHeld(ctx)
	slice := ftsSlice
	if n, err := strconv.Atoi(os.Getenv("PH_FTS_BATCH")); err == nil && n > 0 {
		slice = n
	}
	storeN := benchStorer(ctx, b, s)
	if n, err := strconv.Atoi(os.Getenv("PH_PRELOAD")); err == nil && n > 0 {
		storeN(n, 256)
		if _, err := s.indexPending(ctx); err != nil {
			b.Fatal(err)
		}
	}
	storeN(b.N, 1)
	var parts [6]time.Duration
	names := []string{"begin", "fts", "ids", "chain", "mark", "commit"}
	stmts := []string{`INSERT INTO chat_fts(rowid, text) SELECT rowid, text FROM chat_messages WHERE rowid > ? AND rowid <= ?`,
		`INSERT INTO chat_ids(run, k, msg)
			SELECT rowid >> ` + strconv.Itoa(idRunShift) + `, substr(id, 1, 16), rowid FROM chat_messages WHERE rowid > ? AND rowid <= ? ORDER BY 1, 2`,
		`INSERT INTO chat_chain(workgroup, log, author, seq, msg)
			SELECT workgroup, log, author, seq, rowid FROM chat_messages WHERE rowid > ? AND rowid <= ? ORDER BY 1, 2, 3, 4`}
	if v := os.Getenv("PH_PARTS_IDS"); v != "" {
		stmts[1] = v
	}
	order := "123"
	if v := os.Getenv("PH_PARTS_ORDER"); v != "" {
		order = v
	}
	b.ResetTimer()
	done := 0
	for done < b.N {
		done += ftsPartsTx(b, ctx, db, slice, order, stmts, &parts)
	}
	b.StopTimer()
	var total time.Duration
	for i, d := range parts {
		total += d
		b.ReportMetric(float64(d.Nanoseconds())/1e3/float64(b.N), names[i]+"-us/msg")
	}
	b.ReportMetric(float64(total.Nanoseconds())/1e3/float64(b.N), "cpu-us/msg")
}

func ftsPartsTx(b *testing.B, ctx context.Context, db *store.DB, slice int, order string, stmts []string, parts *[6]time.Duration) int {
	{
		t := cpuTime()
		lap := func(i int) { n := cpuTime(); parts[i] += n - t; t = n }
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		var lo int64
		var hi sql.NullInt64
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT upto FROM chat_index_mark`).Scan(&lo); err != nil {
			b.Fatal(err)
		}
		if err := tx.QueryRowContext(ctx, `SELECT max(rowid), count(*) FROM (SELECT rowid FROM chat_messages WHERE rowid > ? ORDER BY rowid LIMIT ?)`,
			lo, slice).Scan(&hi, &n); err != nil {
			b.Fatal(err)
		}
		lap(0)
		for _, c := range order {
			if _, err := tx.ExecContext(ctx, stmts[c-'1'], lo, hi.Int64); err != nil {
				b.Fatal(err)
			}
			lap(int(c - '0'))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE chat_index_mark SET upto = ?`, hi.Int64); err != nil {
			b.Fatal(err)
		}
		lap(4)
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		lap(5)
		return int(n)
	}
}
