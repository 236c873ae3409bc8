package chat

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/store"
)

// burstWriter stores a chain of messages of one author in batches, as
// the writer does (insert, then kickIndexer's slice when one waits).
type burstWriter struct {
	t    *testing.T
	s    *Service
	ka   func(i int) *msg
	seq  int
	kick bool // run kickedSlice after a commit when a slice waits
}

func newBurstWriter(t *testing.T, s *Service, word string) *burstWriter {
	k, a := newPeer(t)
	w := &burstWriter{t: t, s: s, kick: true}
	var prev []byte
	w.ka = func(i int) *msg {
		m, err := sign(k, body{V: version, Workgroup: "wg1", Room: "general", Author: []byte(a), Seq: uint64(i), Prev: prev,
			HLC: uint64(i) << hlcShift, Kind: KindText, Text: fmt.Sprintf("%s w%d", word, i)})
		if err != nil {
			t.Fatal(err)
		}
		prev = m.id[:]
		return m
	}
	return w
}

// batch stores n messages in one transaction.
func (w *burstWriter) batch(ctx context.Context, n int) {
	w.t.Helper()
	ms := make([]*msg, 0, n)
	for range n {
		w.seq++
		ms = append(ms, w.ka(w.seq))
	}
	if _, _, err := w.s.insert(ctx, ms...); err != nil {
		w.t.Fatal(err)
	}
	w.s.ftsDirty.Store(true) // as Service.stored does
	if w.kick && w.s.fts.full() {
		if err := w.s.kickedSlice(ctx); err != nil {
			w.t.Fatal(err)
		}
	}
}

// marks returns the rows above chat_index_mark and above chat_fts_mark.
func marks(t *testing.T, s *Service) (ids, text int) {
	t.Helper()
	if err := s.db.QueryRowContext(context.Background(), `SELECT
		(SELECT count(*) FROM chat_messages WHERE rowid > (SELECT upto FROM chat_index_mark)),
		(SELECT count(*) FROM chat_messages WHERE rowid > (SELECT upto FROM chat_fts_mark))`).Scan(&ids, &text); err != nil {
		t.Fatal(err)
	}
	return ids, text
}

// Under continuous writes chat_ids and chat_chain keep up (their tail
// stays under a slice and a batch: kicked slices) while the full-text
// index waits; a quiet moment (ftsIdle after the last store) indexes it
// all, the index then matches its content table and search finds every
// message. The WAL stays bounded through the burst (a checkpoint after
// each kicked slice).
func TestFTSWaitsForQuiet(t *testing.T) {
	s, ctx := newStoreService(t)
	w := newBurstWriter(t, s, "steady")
	const batch = 16
	const total = 8 * ftsSlice
	busy := func() time.Time { return time.Unix(0, s.fts.last.Load()).Add(ftsIdle / 10) }
	var walMax int64
	for w.seq < total {
		w.batch(ctx, batch)
		if _, err := s.ftsStep(ctx, busy()); err != nil {
			t.Fatal(err)
		}
		ids, text := marks(t, s)
		if ids >= idsSlice+batch {
			t.Fatalf("%d stored: %d wait for chat_ids/chat_chain, want under %d", w.seq, ids, idsSlice+batch)
		}
		if text != w.seq {
			t.Fatalf("%d stored: %d wait for the full-text index, want all (it waits for a quiet moment)", w.seq, text)
		}
		if fi, err := os.Stat(s.db.Path + "-wal"); err == nil {
			walMax = max(walMax, fi.Size())
		}
	}
	// 8 slices stored; kicked slices checkpoint, so the WAL holds about a
	// slice's frames (1.7 MB here), not the 1,000 pages (4.1 MB) at which
	// SQLite's own checkpoint runs inside a commit.
	if walMax > 5<<19 {
		t.Fatalf("WAL grew to %d bytes during the burst", walMax)
	}
	if got := ftsSearch(t, s, "steady"); len(got) != 0 {
		t.Fatalf("search finds %d before the quiet moment: indexed under load", len(got))
	}
	if did, err := s.ftsStep(ctx, time.Unix(0, s.fts.last.Load()).Add(ftsIdle)); !did || err != nil {
		t.Fatalf("quiet step: %v %v", did, err)
	}
	if ids, text := marks(t, s); ids != 0 || text != 0 {
		t.Fatalf("after the quiet moment %d, %d queued", ids, text)
	}
	ftsWhole(t, s, "after the quiet moment")
	if got := ftsSearch(t, s, "steady"); len(got) != total {
		t.Fatalf("search finds %d, want %d", len(got), total)
	}
	if s.fts.text.Load() != 0 || s.ftsDirty.Load() {
		t.Fatalf("queue count %d, dirty %v after indexing it all", s.fts.text.Load(), s.ftsDirty.Load())
	}
}

// The full-text queue is bounded under continuous writes: once it reaches
// its cap, the indexer drains it in slices (no transaction over a slice),
// down to under a slice; below the cap it waits.
func TestFTSCap(t *testing.T) {
	s, ctx := newStoreService(t)
	const limit = 4 * ftsSlice
	s.fts.textCap = limit
	w := newBurstWriter(t, s, "capped")
	const batch = 32
	busy := func() time.Time { return time.Unix(0, s.fts.last.Load()).Add(ftsIdle / 10) }
	drains := 0
	for w.seq < 3*limit {
		w.batch(ctx, batch)
		before := s.work.ftsIndexed.Load()
		runs := s.work.indexBatches.Load()
		if _, err := s.ftsStep(ctx, busy()); err != nil {
			t.Fatal(err)
		}
		did := int(s.work.ftsIndexed.Load() - before)
		_, text := marks(t, s)
		switch {
		case text >= limit+batch:
			t.Fatalf("%d stored: %d wait for the full-text index, cap %d", w.seq, text, limit)
		case did > 0 && text+did < limit:
			t.Fatalf("%d stored: indexed %d with %d queued, under the cap %d", w.seq, did, text+did, limit)
		case did > 0 && text >= ftsSlice:
			t.Fatalf("drained down to %d, want under a slice", text)
		case did > 0 && uint64(did) > uint64(ftsSlice)*(s.work.indexBatches.Load()-runs):
			t.Fatalf("%d indexed in %d transactions: over a slice each", did, s.work.indexBatches.Load()-runs)
		case did > 0:
			drains++
		}
	}
	if drains < 2 {
		t.Fatalf("the cap forced %d drains, want 2 or more", drains)
	}
	if _, err := s.indexPending(ctx); err != nil {
		t.Fatal(err)
	}
	ftsWhole(t, s, "capped")
	if got := ftsSearch(t, s, "capped"); len(got) != w.seq {
		t.Fatalf("search finds %d, want %d", len(got), w.seq)
	}
}

// A quiet moment's indexing stops between transactions when the writer
// stores again: the rest waits (ftsDirty stays set), and the store lock
// is not taken batch after batch in front of the burst.
func TestFTSIdleYields(t *testing.T) {
	s, ctx := newStoreService(t)
	w := newBurstWriter(t, s, "yield")
	w.kick = false
	for range 3 {
		w.batch(ctx, ftsBatch)
	}
	last := s.fts.last.Load()
	s.fts.last.Store(last + 1) // the writer stored again since the quiet moment was seen
	whole, err := s.indexIdle(ctx, last)
	if err != nil || whole {
		t.Fatalf("indexIdle: whole %v, %v; want it to stop", whole, err)
	}
	if _, text := marks(t, s); text != 2*ftsBatch {
		t.Fatalf("%d queued after one batch, want %d", text, 2*ftsBatch)
	}
	if whole, err := s.indexIdle(ctx, s.fts.last.Load()); !whole || err != nil {
		t.Fatalf("indexIdle, quiet: whole %v, %v", whole, err)
	}
	if ids, text := marks(t, s); ids != 0 || text != 0 {
		t.Fatalf("%d, %d queued", ids, text)
	}
}

// Stopped with a full-text queue (a burst, then the node stopped before
// a quiet moment): nothing is lost. At the next start (indexStart)
// chat_ids and chat_chain catch up at once, the queue is counted, and
// the first quiet moment indexes it; search then finds every message.
func TestFTSQueueSurvivesStop(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "node.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{db: db}
	s.countHeld(ctx)
	w := newBurstWriter(t, s, "kept")
	w.kick = false
	for range 5 {
		w.batch(ctx, 300)
	}
	if n, _, err := s.index(ctx, partIDs, 1000); err != nil || n != 1000 {
		t.Fatalf("index ids: %d %v", n, err)
	}
	s.stmts.close()
	db.Close()

	if db, err = store.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s = &Service{db: db}
	if ids, text := marks(t, s); ids != 500 || text != 1500 {
		t.Fatalf("reopened: %d, %d queued; want 500, 1500", ids, text)
	}
	if err := s.indexStart(ctx); err != nil {
		t.Fatal(err)
	}
	if ids, text := marks(t, s); ids != 0 || text != 1500 {
		t.Fatalf("started: %d, %d queued; want 0, 1500", ids, text)
	}
	if s.fts.text.Load() != 1500 || !s.ftsDirty.Load() {
		t.Fatalf("started: queue counted %d, dirty %v", s.fts.text.Load(), s.ftsDirty.Load())
	}
	if did, err := s.ftsStep(ctx, time.Now()); !did || err != nil { // nothing stored since start: quiet
		t.Fatalf("first step: %v %v", did, err)
	}
	ftsWhole(t, s, "after the restart")
	if got := ftsSearch(t, s, "kept"); len(got) != 1500 {
		t.Fatalf("search finds %d, want 1500", len(got))
	}
	if got := ftsSearch(t, s, "w1500"); !slices.Equal(got, []string{"kept w1500"}) {
		t.Fatalf("search w1500: %q", got)
	}
}

// A database at chat schema 5 (one mark for every index) is upgraded by
// chat/0006: the full-text mark starts where the one mark was; then the
// marks move apart, and the delete trigger tells FTS5 only of rows at or
// below the full-text mark (a row indexed in chat_ids but not in chat_fts
// leaves the index whole), and lowers both marks when the newest rows go
// (their rowids are given again).
func TestMigrateFTSMark(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "node.db")
	old := chatDBAt(t, path, "0001_chat.sql", "0002_chat_fts_deferred.sql", "0003_chat_compact.sql", "0004_chat_ids_runs.sql", "0005_chat_fts_columnsize.sql")
	so := &Service{db: old}
	so.countHeld(ctx)
	k, a := newPeer(t)
	ms := chainMsgs(t, k, a, "fig one", "fig two", "fig three", "fig four", "fig five", "fig six", "fig seven")
	if _, _, err := so.insert(ctx, ms...); err != nil {
		t.Fatal(err)
	}
	if n, err := so.indexBatchOneMark(ctx, 4); err != nil || n != 4 {
		t.Fatalf("index at version 5: %d %v", n, err)
	}
	so.stmts.close()
	old.Close()

	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &Service{db: db}
	s.countHeld(ctx)
	mark := func(table string) int64 {
		t.Helper()
		var v int64
		if err := db.QueryRowContext(ctx, `SELECT upto FROM `+table).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if i, f := mark("chat_index_mark"), mark("chat_fts_mark"); i != 4 || f != 4 {
		t.Fatalf("marks after chat/0006: %d, %d; want 4, 4", i, f)
	}
	if got := ftsSearch(t, s, "fig"); len(got) != 4 {
		t.Fatalf("search after chat/0006: %q", got)
	}
	if n, _, err := s.index(ctx, partIDs, 10); err != nil || n != 3 {
		t.Fatalf("index ids: %d %v", n, err)
	}
	// Row 6 is in chat_ids, not in chat_fts; row 7 is the newest.
	for _, m := range ms[5:7] {
		if _, err := db.ExecContext(ctx, `DELETE FROM chat_messages WHERE id=?`, m.ID()); err != nil {
			t.Fatal(err)
		}
	}
	// Row 5 is still queued: the index is whole in itself (rank 0), not
	// yet equal to its content table.
	if _, err := db.ExecContext(ctx, `INSERT INTO chat_fts(chat_fts, rank) VALUES('integrity-check', 0)`); err != nil {
		t.Fatalf("rows between the marks deleted: index integrity: %v", err)
	}
	if i, f := mark("chat_index_mark"), mark("chat_fts_mark"); i != 5 || f != 4 {
		t.Fatalf("marks after deleting the newest: %d, %d; want 5, 4", i, f)
	}
	var ids int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM chat_ids`).Scan(&ids); err != nil || ids != 5 {
		t.Fatalf("chat_ids rows: %d %v, want 5", ids, err)
	}
	if n, err := s.indexPending(ctx); err != nil || n != 1 {
		t.Fatalf("indexPending: %d %v, want 1", n, err)
	}
	ftsWhole(t, s, "indexed")
	if got := ftsSearch(t, s, "fig"); !slices.Equal(got, []string{"fig one", "fig two", "fig three", "fig four", "fig five"}) {
		t.Fatalf("search: %q", got)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM chat_messages WHERE id=?`, ms[4].ID()); err != nil {
		t.Fatal(err)
	}
	if i, f := mark("chat_index_mark"), mark("chat_fts_mark"); i != 4 || f != 4 {
		t.Fatalf("marks after deleting the newest indexed: %d, %d; want 4, 4", i, f)
	}
	ftsWhole(t, s, "newest indexed deleted")
	if got := ftsSearch(t, s, "five"); got != nil {
		t.Fatalf("search finds a deleted message: %q", got)
	}
}
