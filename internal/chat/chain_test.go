package chat

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/peerhood/peerhood/internal/store"
)

// Chain reads (chain.go) see every stored message wherever the indexer's
// mark is: none indexed, some, all. For each: the heads of the log, a
// range of an author's chain with a limit, an author's last message,
// lookups by ID, and the writer's decisions that read the chain (a copy
// of a stored room message below the tip is a duplicate, another message
// at its place a fork; a direct message stored twice is a duplicate).
func TestChainReadsAcrossIndexMark(t *testing.T) {
	for _, indexedAfter := range []int{0, 3, 6} {
		t.Run(fmt.Sprintf("indexed%d", indexedAfter), func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, filepath.Join(t.TempDir(), "node.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			s := &Service{db: db}
			s.countHeld(ctx)
			ka, a := newPeer(t)
			kb, b := newPeer(t)
			as := chainMsgs(t, ka, a, "a1", "a2", "a3", "a4", "a5", "a6")
			bs := chainMsgs(t, kb, b, "b1", "b2", "b3", "b4", "b5", "b6")
			dm, err := sign(ka, body{V: version, Workgroup: "wg1", To: []byte(b), Author: []byte(a), Seq: 1, HLC: 1, Kind: KindText, Text: "psst"})
			if err != nil {
				t.Fatal(err)
			}
			for i := range as {
				if res, _, err := s.insert(ctx, as[i], bs[i]); err != nil || res[0] != stored || res[1] != stored {
					t.Fatalf("insert %d: %v %v", i, res, err)
				}
				if i == 2 {
					if res, _, err := s.insert(ctx, dm); err != nil || res[0] != stored {
						t.Fatalf("insert dm: %v %v", res, err)
					}
				}
				if i+1 == indexedAfter {
					if _, err := s.indexPending(ctx); err != nil {
						t.Fatal(err)
					}
				}
			}
			hs, err := s.heads(ctx, "wg1", "general")
			if err != nil || len(hs) != 2 || hs[a] != 6 || hs[b] != 6 {
				t.Fatalf("heads: %v %v", hs, err)
			}
			raws, err := s.rangeRaw(ctx, "wg1", "general", b, 2, 5, 3)
			if err != nil || len(raws) != 3 {
				t.Fatalf("range b 2..5 limit 3: %d %v", len(raws), err)
			}
			for i, raw := range raws {
				if m, _, err := parse(raw); err != nil || m.Seq != uint64(i+2) || m.author() != b {
					t.Fatalf("range b: message %d: %v", i, err)
				}
			}
			q := &txq{db: db.DB}
			if err := db.Tx(ctx, func(tx *sql.Tx) error {
				q.tx, q.cache = tx, &s.stmts
				var seq int64
				var id string
				if err := q.QueryRowContext(ctx, lastOfChain, chainArgs("wg1", "general", a.String())...).Scan(&seq, &id); err != nil || seq != 6 || id != as[5].ID() {
					return fmt.Errorf("last of a: %d %s %v", seq, id, err)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			for _, m := range []*msg{as[0], bs[5], dm} {
				if full, _, _, _, err := s.logOfID(ctx, m.ID()[:9]); err != nil || full != m.ID() {
					t.Fatalf("logOfID: %q %v", full, err)
				}
			}
			// A fresh writer (no tips in memory) reads the chain.
			s2 := &Service{db: db}
			s2.countHeld(ctx)
			fork := chainMsgs(t, ka, a, "a1", "other a2")[1]
			res, _, err := s2.insert(ctx, as[1], fork, dm, as[5])
			if err != nil || res[0] != duplicate || res[1] != forked || res[2] != duplicate || res[3] != duplicate {
				t.Fatalf("copies and a fork: %v %v", res, err)
			}
		})
	}
}

// Copies within one batch: the writer queues a batch's rows for one
// INSERT, and chat_messages has no unique index that would catch a
// second copy, so a chain read must see the rows queued before it. A
// direct message and a room message, each twice in one batch (and a room
// message's copy behind its successor): one row each.
func TestCopiesInOneBatch(t *testing.T) {
	s, ctx := newStoreService(t)
	ka, a := newPeer(t)
	_, b := newPeer(t)
	dm, err := sign(ka, body{V: version, Workgroup: "wg1", To: []byte(b), Author: []byte(a), Seq: 1, HLC: 1, Kind: KindText, Text: "psst"})
	if err != nil {
		t.Fatal(err)
	}
	ms := chainMsgs(t, ka, a, "one", "two")
	res, out, err := s.insert(ctx, dm, ms[0], dm, ms[0], ms[1], ms[0])
	want := []storeResult{stored, stored, duplicate, duplicate, stored, duplicate}
	if err != nil || !slices.Equal(res, want) || len(out) != 3 {
		t.Fatalf("one batch: %v (%d stored), %v; want %v", res, len(out), err, want)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM chat_messages`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("rows: %d %v, want 3", n, err)
	}
}
