package chat

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/store"
)

// Full-text indexing is deferred out of the store's transaction: a
// message stored is queued, not indexed; the queue survives a crash (the
// database closed and opened again before indexing); a queued message
// deleted (retention) is never told to FTS5; indexPending then indexes
// exactly what is stored, and a later delete leaves the index whole.
func TestFTSDeferred(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "node.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{db: db}
	s.countHeld(ctx)
	ka, a := newPeer(t)
	var ms []*msg
	var prev []byte
	for i, text := range []string{"alpha one", "bravo two", "alpha three"} {
		m, err := sign(ka, body{V: version, Workgroup: "wg1", Room: "general", Author: []byte(a), Seq: uint64(i + 1), Prev: prev, HLC: uint64(i + 1), Kind: KindText, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		prev = m.id[:]
		ms = append(ms, m)
	}
	if _, _, err := s.insert(ctx, ms...); err != nil {
		t.Fatal(err)
	}
	check := func(step string, pending int, alpha []string) {
		t.Helper()
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM chat_messages WHERE rowid > (SELECT upto FROM chat_index_mark)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		got := ftsSearch(t, s, "alpha")
		if n != pending || !slices.Equal(got, alpha) {
			t.Fatalf("%s: %d queued, search finds %q; want %d, %q", step, n, got, pending, alpha)
		}
		// With nothing queued the index must match the content table
		// (rank 1); before, only be whole in itself.
		against := 0
		if n == 0 {
			against = 1
		}
		if _, err := s.db.ExecContext(ctx, `INSERT INTO chat_fts(chat_fts, rank) VALUES('integrity-check', ?)`, against); err != nil {
			t.Fatalf("%s: index integrity: %v", step, err)
		}
	}
	check("stored", 3, nil)

	// A crash before indexing: the queue was committed with the messages.
	s.stmts.close()
	db.Close()
	if db, err = store.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s = &Service{db: db}
	check("reopened", 3, nil)

	// Retention deletes a message never indexed.
	if _, err := db.ExecContext(ctx, `DELETE FROM chat_messages WHERE id=?`, ms[0].ID()); err != nil {
		t.Fatal(err)
	}
	check("queued message deleted", 2, nil)

	if n, err := s.indexPending(ctx); err != nil || n != 2 {
		t.Fatalf("indexPending: %d, %v; want 2", n, err)
	}
	check("indexed", 0, []string{"alpha three"})

	// An indexed message deleted leaves the index.
	if _, err := db.ExecContext(ctx, `DELETE FROM chat_messages WHERE id=?`, ms[2].ID()); err != nil {
		t.Fatal(err)
	}
	check("indexed message deleted", 0, nil)
	if got := ftsSearch(t, s, "bravo"); !slices.Equal(got, []string{"bravo two"}) {
		t.Fatalf("search bravo: %q", got)
	}
}

// ftsSearch runs History's full-text join.
func ftsSearch(t *testing.T, s *Service, word string) []string {
	t.Helper()
	rows, err := s.db.QueryContext(context.Background(), `SELECT m.text FROM chat_messages m JOIN chat_fts f ON f.rowid = m.rowid
		WHERE chat_fts MATCH ? ORDER BY m.seq`, ftsQuery(word))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			t.Fatal(err)
		}
		out = append(out, text)
	}
	return out
}

// The indexer yields to load: under continuous writes (never ftsIdle
// apart) it leaves the queue alone until a slice (idsSlice messages)
// waits, then indexes whole slices, so the queue stays under a slice
// between looks and no transaction takes more than a slice; idle, it
// indexes what is left; a search (History indexes the queue first) finds
// every message at any point.
func TestFTSYieldsToLoad(t *testing.T) {
	s, ctx := newStoreService(t)
	ka, a := newPeer(t)
	var prev []byte
	const batch = 32
	const total = 4*idsSlice + 3*batch
	pending := func() int {
		t.Helper()
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM chat_messages WHERE rowid > (SELECT upto FROM chat_index_mark)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	busy := func() time.Time { return time.Unix(0, s.fts.last.Load()).Add(ftsIdle / 10) }
	indexedAt, looks := 0, 0
	for seq := 1; seq <= total; seq += batch {
		ms := make([]*msg, 0, batch)
		for i := seq; i < seq+batch; i++ {
			m, err := sign(ka, body{V: version, Workgroup: "wg1", Room: "general", Author: []byte(a), Seq: uint64(i), Prev: prev, HLC: uint64(i), Kind: KindText, Text: fmt.Sprintf("common w%d", i)})
			if err != nil {
				t.Fatal(err)
			}
			prev = m.id[:]
			ms = append(ms, m)
		}
		if _, _, err := s.insert(ctx, ms...); err != nil {
			t.Fatal(err)
		}
		s.ftsDirty.Store(true) // as Service.stored does
		stored := seq + batch - 1
		did, err := s.ftsStep(ctx, busy())
		if err != nil {
			t.Fatal(err)
		}
		switch n := pending(); {
		case did && stored-indexedAt < idsSlice:
			t.Fatalf("indexed under load with %d queued (slice %d)", stored-indexedAt, idsSlice)
		case did && n >= idsSlice:
			t.Fatalf("indexed, %d still queued (slice %d)", n, idsSlice)
		case did && (stored-n-indexedAt)%idsSlice != 0:
			t.Fatalf("indexed %d: not whole slices of %d", stored-n-indexedAt, idsSlice)
		case did:
			indexedAt = stored - n
			looks++
		case n != stored-indexedAt || n >= idsSlice:
			t.Fatalf("%d stored, %d indexed, %d queued (slice %d)", stored, indexedAt, n, idsSlice)
		}
	}
	if looks < 3 {
		t.Fatalf("a whole slice forced indexing under load %d times, want 3 or more", looks)
	}
	if pending() == 0 {
		t.Fatal("nothing left queued after the bound: the test proves nothing about search")
	}
	// A search indexes the queue first (History) and sees everything.
	if _, err := s.indexPending(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ftsSearch(t, s, "common"); len(got) != total {
		t.Fatalf("search finds %d messages, want %d", len(got), total)
	}
	if got := ftsSearch(t, s, fmt.Sprintf("w%d", total)); len(got) != 1 {
		t.Fatalf("search finds the last message %d times", len(got))
	}
	// Idle: what is stored later is indexed once the writer pauses.
	m, err := sign(ka, body{V: version, Workgroup: "wg1", Room: "general", Author: []byte(a), Seq: total + 1, Prev: prev, HLC: total + 1, Kind: KindText, Text: "late"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.insert(ctx, m); err != nil {
		t.Fatal(err)
	}
	s.ftsDirty.Store(true)
	if did, _ := s.ftsStep(ctx, busy()); did || pending() != 1 {
		t.Fatalf("busy: indexed %v, %d queued; want no, 1", did, pending())
	}
	if did, err := s.ftsStep(ctx, time.Unix(0, s.fts.last.Load()).Add(ftsIdle)); !did || err != nil || pending() != 0 {
		t.Fatalf("idle: indexed %v (%v), %d queued; want yes, 0", did, err, pending())
	}
}

// Idle, the indexer also checkpoints the WAL: the next commit starts the
// WAL afresh instead of appending to the frames of the burst before (the
// automatic checkpoint, every 1,000 pages (internal/store), would run in a commit).
func TestIdleCheckpoint(t *testing.T) {
	s, ctx := newStoreService(t)
	ka, a := newPeer(t)
	var prev []byte
	put := func(seq int) {
		t.Helper()
		m, err := sign(ka, body{V: version, Workgroup: "wg1", Room: "general", Author: []byte(a), Seq: uint64(seq), Prev: prev, HLC: uint64(seq), Kind: KindText, Text: fmt.Sprintf("message %d", seq)})
		if err != nil {
			t.Fatal(err)
		}
		prev = m.id[:]
		if _, _, err := s.insert(ctx, m); err != nil {
			t.Fatal(err)
		}
		s.ftsDirty.Store(true)
	}
	const burst = 100 // a commit each: hundreds of frames, well under the 1,000 of the automatic checkpoint
	for i := 1; i <= burst; i++ {
		put(i)
	}
	if did, err := s.ftsStep(ctx, time.Unix(0, s.fts.last.Load()).Add(ftsIdle)); !did || err != nil {
		t.Fatalf("idle step: %v %v", did, err)
	}
	put(burst + 1)
	var busy, frames, done int
	if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done); err != nil {
		t.Fatal(err)
	}
	if frames > 20 {
		t.Fatalf("WAL holds %d frames after the idle checkpoint and one commit", frames)
	}
}

// The writer kicks the indexer after a commit only when a whole slice
// waits, and never blocks on it (a kick pending is enough).
func TestKickIndexer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		queued int
		kicks  int
		want   bool
	}{
		{"nothing queued", 0, 1, false},
		{"less than a slice", idsSlice - 1, 1, false},
		{"a slice", idsSlice, 1, true},
		{"kicked twice, one pending", 3 * idsSlice, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Service{ftsKick: make(chan struct{}, 1)}
			s.fts.noteStored(tc.queued, time.Now())
			for range tc.kicks {
				s.kickIndexer() // must not block
			}
			if got := len(s.ftsKick) == 1; got != tc.want {
				t.Fatalf("kick pending %v, want %v", got, tc.want)
			}
		})
	}
}

// Under continuous writes (never idle), the slice the writer kicks off is
// followed by a checkpoint outside the store lock: the next commit starts
// the WAL afresh, so SQLite's automatic checkpoint (1,000 pages) does not
// come due inside a commit under the store lock.
func TestKickedSliceCheckpoints(t *testing.T) {
	s, ctx := newStoreService(t)
	ka, a := newPeer(t)
	var prev []byte
	seq := 0
	batch := func(n int) {
		t.Helper()
		var ms []*msg
		for range n {
			seq++
			m, err := sign(ka, body{V: version, Workgroup: "wg1", Room: "general", Author: []byte(a), Seq: uint64(seq), Prev: prev, HLC: uint64(seq), Kind: KindText, Text: fmt.Sprintf("busy %d", seq)})
			if err != nil {
				t.Fatal(err)
			}
			prev = m.id[:]
			ms = append(ms, m)
		}
		if _, _, err := s.insert(ctx, ms...); err != nil {
			t.Fatal(err)
		}
	}
	for range ftsSlice / 8 { // a commit each: hundreds of WAL frames
		batch(8)
	}
	if err := s.kickedSlice(ctx); err != nil {
		t.Fatal(err)
	}
	batch(8)
	var busy, frames, done int
	if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done); err != nil {
		t.Fatal(err)
	}
	if frames > 20 {
		t.Fatalf("WAL holds %d frames after a kicked slice and one commit", frames)
	}
}

// The retention purge deletes indexed messages and queued ones alike;
// the index (chat_fts without %_docsize, chat/0005) stays whole and
// search finds exactly what is left (each author's last message kept).
func TestFTSRetentionPurge(t *testing.T) {
	s, ctx := newStoreService(t)
	s.log = slog.New(slog.DiscardHandler)
	old := uint64(time.Now().Add(-40*24*time.Hour).UnixMilli()) << hlcShift
	now := uint64(time.Now().UnixMilli()) << hlcShift
	var ms []*msg
	for _, au := range []struct {
		texts []string
		hlcs  []uint64
	}{
		{[]string{"plum old one", "plum old two", "plum old three", "plum new four"}, []uint64{old, old + 1, old + 2, now}},
		{[]string{"plum old five", "plum old six"}, []uint64{old + 3, old + 4}},
	} {
		k, a := newPeer(t)
		var prev []byte
		for i, text := range au.texts {
			m, err := sign(k, body{V: version, Workgroup: "wg1", Room: "general", Author: []byte(a), Seq: uint64(i + 1), Prev: prev, HLC: au.hlcs[i], Kind: KindText, Text: text})
			if err != nil {
				t.Fatal(err)
			}
			prev = m.id[:]
			ms = append(ms, m)
		}
	}
	if _, _, err := s.insert(ctx, ms...); err != nil {
		t.Fatal(err)
	}
	if n, err := s.indexBatch(ctx, 2); err != nil || n != 2 { // the rest stays queued
		t.Fatalf("indexBatch: %d %v", n, err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO chat_rooms(workgroup, name, joined, retention) VALUES('wg1', 'general', 1, ?)`, 30*24*3600); err != nil {
		t.Fatal(err)
	}
	s.applyRetention(ctx)
	if _, err := s.indexPending(ctx); err != nil {
		t.Fatal(err)
	}
	ftsWhole(t, s, "purged")
	if got := ftsSearch(t, s, "plum"); !slices.Equal(got, []string{"plum old six", "plum new four"}) { // by seq
		t.Fatalf("search after the purge: %q", got)
	}
	if got := ftsSearch(t, s, "one"); got != nil {
		t.Fatalf("search finds a purged message: %q", got)
	}
}

// A crash in the middle of an index transaction (its pages partly in the
// WAL, not committed) loses nothing: the database opened from that
// image has the slice still queued, indexes it, and search finds every
// message once; the index matches its content table.
func TestFTSCrashMidIndex(t *testing.T) {
	s, ctx := newStoreService(t)
	k, a := newPeer(t)
	var texts []string
	for i := range 300 {
		texts = append(texts, fmt.Sprintf("quince %d and some words to fill pages w%d", i, i))
	}
	ms := chainMsgs(t, k, a, texts...)
	if _, _, err := s.insert(ctx, ms...); err != nil {
		t.Fatal(err)
	}
	if n, err := s.indexBatch(ctx, 100); err != nil || n != 100 {
		t.Fatalf("indexBatch: %d %v", n, err)
	}
	// The next slice, not committed: a tiny page cache spills its pages
	// into the WAL; the crash image is the files as they are now.
	walSize := func() int64 {
		fi, err := os.Stat(s.db.Path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`PRAGMA cache_size = 2`,
		`INSERT INTO chat_fts(rowid, text) SELECT rowid, text FROM chat_messages WHERE rowid > 100`,
		`INSERT INTO chat_ids(run, k, msg) SELECT rowid >> 12, substr(id, 1, 16), rowid FROM chat_messages WHERE rowid > 100 ORDER BY 1, 2`,
		`INSERT INTO chat_fts(chat_fts, rank) VALUES('merge', 64)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if walSize() == 0 {
		t.Fatal("nothing of the open transaction in the WAL: the crash image proves nothing")
	}
	crash := filepath.Join(t.TempDir(), "node.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(s.db.Path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crash+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_ = tx.Rollback()

	db, err := store.Open(ctx, crash)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s2 := &Service{db: db}
	var upto int64
	if err := db.QueryRowContext(ctx, `SELECT upto FROM chat_index_mark`).Scan(&upto); err != nil || upto != 100 {
		t.Fatalf("mark after the crash: %d %v, want 100", upto, err)
	}
	if got := ftsSearch(t, s2, "quince"); len(got) != 100 {
		t.Fatalf("search before indexing the rest finds %d, want 100", len(got))
	}
	if n, err := s2.indexPending(ctx); err != nil || n != 200 {
		t.Fatalf("indexPending after the crash: %d %v, want 200", n, err)
	}
	ftsWhole(t, s2, "after the crash")
	if got := ftsSearch(t, s2, "quince"); len(got) != 300 {
		t.Fatalf("search finds %d, want 300", len(got))
	}
	if got := ftsSearch(t, s2, "w250"); !slices.Equal(got, texts[250:251]) {
		t.Fatalf("search w250: %q", got)
	}
	if full, _, _, _, err := s2.logOfID(ctx, ms[250].ID()[:10]); err != nil || full != ms[250].ID() {
		t.Fatalf("logOfID after the crash: %q %v", full, err)
	}
}
