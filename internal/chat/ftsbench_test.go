package chat

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/store"
)

// ftsVariants are definitions of chat_fts BenchmarkFTSSlices compares:
// "db" is the table the migrations make; the others replace it.
var ftsVariants = map[string]string{
	"db": "",
	// chat/0001-0004: FTS5 over chat_messages.text, external content.
	"v4": `CREATE VIRTUAL TABLE chat_fts USING fts5(text, content='chat_messages', content_rowid='rowid')`,
	// no %_docsize table (only bm25/rank read it).
	"cs0":     `CREATE VIRTUAL TABLE chat_fts USING fts5(text, content='chat_messages', content_rowid='rowid', columnsize=0)`,
	"am8":     `CREATE VIRTUAL TABLE chat_fts USING fts5(text, content='chat_messages', content_rowid='rowid'); INSERT INTO chat_fts(chat_fts, rank) VALUES('automerge', 8)`,
	"am16":    `CREATE VIRTUAL TABLE chat_fts USING fts5(text, content='chat_messages', content_rowid='rowid'); INSERT INTO chat_fts(chat_fts, rank) VALUES('automerge', 16)`,
	"am2":     `CREATE VIRTUAL TABLE chat_fts USING fts5(text, content='chat_messages', content_rowid='rowid'); INSERT INTO chat_fts(chat_fts, rank) VALUES('automerge', 2)`,
	"cs0am16": `CREATE VIRTUAL TABLE chat_fts USING fts5(text, content='chat_messages', content_rowid='rowid', columnsize=0); INSERT INTO chat_fts(chat_fts, rank) VALUES('automerge', 16)`,
	"col":     `CREATE VIRTUAL TABLE chat_fts USING fts5(text, content='chat_messages', content_rowid='rowid', detail=column)`,
}

// BenchmarkFTSSlices measures the indexer under load (indexBatch, one
// slice of ftsSlice messages per transaction, as indexSlices drains the
// full-text queue) per message, in CPU time, with PH_PRELOAD (default 28000; a list:
// 28000,100000) messages indexed already, for each chat_fts definition
// of PH_FTS_VARIANTS (default db; names of ftsVariants). The messages are
// stored once per size into a template database; each run copies it, so
// every variant indexes the same rows.
//
//	PH_PRELOAD=28000,100000 PH_FTS_VARIANTS=v4,db go test -run '^$' -bench FTSSlices -benchtime 8192x -count 5 ./internal/chat/
func BenchmarkFTSSlices(b *testing.B) {
	preloads := []int{28000}
	if env := os.Getenv("PH_PRELOAD"); env != "" {
		preloads = preloads[:0]
		for _, f := range strings.Split(env, ",") {
			if n, err := strconv.Atoi(f); err == nil && n >= 0 {
				preloads = append(preloads, n)
			}
		}
	}
	variants := []string{"db"}
	if env := os.Getenv("PH_FTS_VARIANTS"); env != "" {
		variants = strings.Split(env, ",")
	}
	dir := b.TempDir()
	templates := map[int]string{} // rows -> template file
	for _, pre := range preloads {
		for _, v := range variants {
			ddl, ok := ftsVariants[v]
			if !ok {
				b.Fatalf("no variant %q", v)
			}
			b.Run(fmt.Sprintf("rows=%d/fts=%s", pre, v), func(b *testing.B) {
				rows := pre + b.N
				tpl, ok := templates[rows]
				if !ok {
					tpl = filepath.Join(dir, fmt.Sprintf("tpl%d.db", rows))
					ftsTemplate(b, tpl, rows)
					templates[rows] = tpl
				}
				benchSlices(b, tpl, ddl, pre)
			})
		}
	}
}

// ftsTemplate stores rows messages (not indexed) into a new database.
func ftsTemplate(b *testing.B, path string, rows int) {
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := &Service{db: db}
	s.countHeld(ctx)
	benchStorer(ctx, b, s)(rows, 256)
	if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
}

// benchSlices copies the template, puts chat_fts as ddl defines it (""
// keeps the migrations' table), indexes the first pre rows (idle:
// ftsBatch per transaction) and then measures indexing the rest in
// slices.
func benchSlices(b *testing.B, tpl, ddl string, pre int) {
	b.StopTimer()
	ctx := context.Background()
	s := openIndexed(ctx, b, tpl, ddl, pre)
	var txs int
	var wall time.Duration
	cpu0 := cpuTime()
	b.StartTimer()
	for done := 0; done < b.N; {
		t0 := time.Now()
		n, err := s.indexBatch(ctx, ftsSlice)
		if err != nil || n == 0 {
			b.Fatalf("indexBatch: %d %v", n, err)
		}
		wall += time.Since(t0)
		txs++
		done += n
		// As kickedSlice: the WAL is checkpointed after each slice,
		// outside the store lock (counted: it is the indexer's work).
		if err := s.checkpoint(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/msg")
	b.ReportMetric(float64(wall.Microseconds())/1e3/float64(txs), "ms/tx")
}

func copyFile(b *testing.B, from, to string) {
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFTSPair indexes the same stored rows into each chat_fts
// variant of PH_FTS_VARIANTS (at least two; default v4,db: chat_fts
// before and after chat/0005; +idsN: chat_ids in runs of 1 << N rowids,
// indexBatchIDs) in turns, a slice of each per round
// (the order rotating), timing each slice by its thread's CPU time: on a
// shared machine, the variants compared side by side second by second
// (a whole run each drifts by ±30%). PH_PRELOAD: rows indexed first
// (default 28000). Reports each variant's CPU per message.
//
//	PH_PRELOAD=100000 go test -run '^$' -bench FTSPair -benchtime 16384x ./internal/chat/
func BenchmarkFTSPair(b *testing.B) {
	pre := 28000
	if n, err := strconv.Atoi(os.Getenv("PH_PRELOAD")); err == nil && n >= 0 {
		pre = n
	}
	variants := []string{"v4", "db"}
	if env := os.Getenv("PH_FTS_VARIANTS"); env != "" {
		variants = strings.Split(env, ",")
	}
	ctx := context.Background()
	tpl := filepath.Join(b.TempDir(), "tpl.db")
	ftsTemplate(b, tpl, pre+b.N)
	type side struct {
		name  string
		s     *Service
		index func(*Service, context.Context, int) (int, error)
		cpu   time.Duration
		done  int
	}
	var sides []*side
	for _, v := range variants {
		name, ids, _ := strings.Cut(v, "+ids")
		ddl, ok := ftsVariants[name]
		if !ok {
			b.Fatalf("no variant %q", v)
		}
		sd := &side{name: v, s: openIndexed(ctx, b, tpl, ddl, pre), index: (*Service).indexBatch}
		if shift, err := strconv.Atoi(ids); err == nil {
			sd.index = indexBatchIDs(shift)
		}
		sides = append(sides, sd)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	for round := 0; sides[0].done < b.N; round++ {
		for i := range sides {
			sd := sides[(i+round)%len(sides)]
			t0 := threadCPU()
			n, err := sd.index(sd.s, ctx, ftsSlice)
			if err == nil {
				err = sd.s.checkpoint(ctx) // as kickedSlice
			}
			sd.cpu += threadCPU() - t0
			if err != nil || n == 0 {
				b.Fatalf("%s: %d %v", sd.name, n, err)
			}
			sd.done += n
		}
	}
	b.StopTimer()
	for _, sd := range sides {
		b.ReportMetric(float64(sd.cpu.Nanoseconds())/1e3/float64(sd.done), sd.name+"-us/msg")
	}
}

// threadCPU is the calling thread's CPU time (the goroutine must be
// locked to it).
func threadCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// openIndexed opens a copy of the template tpl as a node's store (closed
// when b ends), with chat_fts as ddl defines it ("" keeps the
// migrations' table), its first pre rows indexed as when idle (ftsBatch
// per transaction) and the WAL checkpointed.
func openIndexed(ctx context.Context, b *testing.B, tpl, ddl string, pre int) *Service {
	path := filepath.Join(b.TempDir(), "node.db")
	copyFile(b, tpl, path)
	db, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if ddl != "" {
		if _, err := db.ExecContext(ctx, `DROP TABLE chat_fts; `+ddl); err != nil {
			b.Fatal(err)
		}
	}
	s := &Service{db: db}
	s.countHeld(ctx)
	for done := 0; done < pre; {
		n, err := s.indexBatch(ctx, min(ftsBatch, pre-done))
		if err != nil {
			b.Fatal(err)
		}
		done += n
	}
	if err := s.checkpoint(ctx); err != nil {
		b.Fatal(err)
	}
	return s
}
