package chat

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

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
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM chat_fts_pending`).Scan(&n); err != nil {
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
