package chat

import (
	"errors"
	"strings"
	"testing"
)

// chat_ids is kept in runs of 4,096 rowids (idlookup.go, migration
// chat/0004): a lookup by ID or prefix finds a message in any run, a
// prefix two runs share is ambiguous, the indexer files each entry under
// its row's run, and deleting a message removes its entry from its run.
func TestIDLookupAcrossRuns(t *testing.T) {
	s, ctx := newStoreService(t)
	k, a := newPeer(t)
	ms := chainMsgs(t, k, a, "one", "two", "three")
	filler := func(rowid int, id string) {
		t.Helper()
		if _, err := s.db.ExecContext(ctx, `INSERT INTO chat_messages(rowid, id, workgroup, log, author, seq, hlc, kind, text, raw, received)
			VALUES(?, ?, 'wgx', 'x', 'filler', ?, 1, 'text', 'filler', x'00', 1)`, rowid, id, rowid); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.insert(ctx, ms[0]); err != nil { // rowid 1: run 0
		t.Fatal(err)
	}
	shared := ms[0].ID()[:10] // a prefix ms[0] shares with a row of run 1
	filler(1<<idRunShift+100, shared+strings.Repeat("0", 54))
	filler(2<<idRunShift+100, strings.Repeat("f", 64))
	if _, _, err := s.insert(ctx, ms[1], ms[2]); err != nil { // run 2
		t.Fatal(err)
	}
	if n, err := s.indexPending(ctx); err != nil || n != 5 {
		t.Fatalf("indexPending: %d %v, want 5", n, err)
	}
	var misfiled int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM chat_ids WHERE run != msg >> ?`, idRunShift).Scan(&misfiled); err != nil || misfiled != 0 {
		t.Fatalf("chat_ids entries outside their run: %d %v", misfiled, err)
	}
	for _, tc := range []struct {
		name, prefix, want string
		ambiguous          bool
	}{
		{"run 0", ms[0].ID()[:12], ms[0].ID(), false},
		{"run 2", ms[1].ID()[:8], ms[1].ID(), false},
		{"whole ID", ms[2].ID(), ms[2].ID(), false},
		{"prefix of runs 0 and 1", shared, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			full, _, _, _, err := s.logOfID(ctx, tc.prefix)
			switch {
			case tc.ambiguous && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "ambiguous")):
				t.Fatalf("logOfID(%s): %q %v, want ambiguous", tc.prefix, full, err)
			case !tc.ambiguous && (err != nil || full != tc.want):
				t.Fatalf("logOfID(%s): %q %v, want %s", tc.prefix, full, err, tc.want)
			}
		})
	}
	if !s.has(ctx, ms[1].ID()) {
		t.Fatal("has: false for a message of run 2")
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM chat_messages WHERE id=?`, ms[1].ID()); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM chat_ids WHERE k = ?`, ms[1].ID()[:idKeyLen]).Scan(&left); err != nil || left != 0 {
		t.Fatalf("chat_ids entries of a deleted message: %d %v", left, err)
	}
	if s.has(ctx, ms[1].ID()) {
		t.Fatal("has: true for a deleted message")
	}
}
