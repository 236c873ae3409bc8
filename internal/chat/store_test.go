package chat

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/store"
)

// The store keeps each author's chain whole and in order, whatever order
// messages come in: a message whose predecessor is missing is held and
// stored (with its held successors) once the predecessor is; a copy is a
// duplicate, held or stored; another message at a taken place, or one
// whose previous hash is not the stored predecessor's, is a fork; a
// direct message is never held. It also checks the shortcuts of the store
// path: one chain lookup per message, and no look for held successors
// while nothing is held (heldRows), which must not skip a release.
func TestStoreChain(t *testing.T) {
	s, ctx := newStoreService(t)
	ka, a := newPeer(t)
	_, b := newPeer(t)
	mk := func(key crypto.PrivKey, author peer.ID, seq uint64, prev []byte, text string, to peer.ID) *msg {
		bd := body{V: version, Workgroup: "wg1", Room: "general", Author: []byte(author), Seq: seq, Prev: prev, HLC: seq, Kind: KindText, Text: text}
		if to != "" {
			bd.Room, bd.To = "", []byte(to)
		}
		m, err := sign(key, bd)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a1 := mk(ka, a, 1, nil, "1", "")
	a2 := mk(ka, a, 2, a1.id[:], "2", "")
	a3 := mk(ka, a, 3, a2.id[:], "3", "")
	a4 := mk(ka, a, 4, a3.id[:], "4", "")
	fork2 := mk(ka, a, 2, a1.id[:], "2'", "")
	fork5 := mk(ka, a, 5, fork2.id[:], "5 on the fork", "")
	dm3 := mk(ka, a, 3, make([]byte, 32), "direct", b)
	steps := []struct {
		name string
		m    *msg
		want storeResult
		out  []*msg // stored by this step, in order
		held int
	}{
		{"third before the first: held", a3, held, nil, 1},
		{"third again: duplicate of the held one", a3, duplicate, nil, 1},
		{"first: stored", a1, stored, []*msg{a1}, 1},
		{"second: stored, releases the third", a2, stored, []*msg{a2, a3}, 0},
		{"second again: duplicate", a2, duplicate, nil, 0},
		{"another second: fork", fork2, forked, nil, 0},
		{"fourth: stored", a4, stored, []*msg{a4}, 0},
		{"fifth on another previous: fork", fork5, forked, nil, 0},
		{"direct message with a gap: stored", dm3, stored, []*msg{dm3}, 0},
	}
	for _, st := range steps {
		res, out, err := s.insert(ctx, st.m)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if res[0] != st.want {
			t.Errorf("%s: result %d, want %d", st.name, res[0], st.want)
		}
		ids := func(ms []*msg) []string {
			var o []string
			for _, m := range ms {
				o = append(o, m.Text)
			}
			return o
		}
		if !slices.Equal(ids(out), ids(st.out)) {
			t.Errorf("%s: stored %q, want %q", st.name, ids(out), ids(st.out))
		}
		if s.heldRows != st.held {
			t.Errorf("%s: heldRows %d, want %d", st.name, s.heldRows, st.held)
		}
		checkTips(t, s, st.name)
		checkHeld(t, s, st.name)
	}
	// One batch, out of order: the sixth is held, the fifth stored and
	// the sixth released in the same transaction.
	a5 := mk(ka, a, 5, a4.id[:], "5", "")
	a6 := mk(ka, a, 6, a5.id[:], "6", "")
	res, out, err := s.insert(ctx, a6, a5)
	if err != nil || !slices.Equal(res, []storeResult{held, stored}) || len(out) != 2 || out[0].ID() != a5.ID() || out[1].ID() != a6.ID() {
		t.Errorf("batch of the sixth and the fifth: %v, %d stored, %v", res, len(out), err)
	}
	checkTips(t, s, "batch")
	checkHeld(t, s, "batch")
	if tp := s.tips[tipKey{"wg1", "general", a}]; tp.seq != 6 {
		t.Errorf("tip of the author in the room: %+v, want seq 6", tp)
	}
	// Held per author: the eighth of a held while b's messages are
	// stored (nothing of b's held: no release looked for), then the
	// seventh releases it.
	kb, _ := newPeer(t)
	bID, _ := peer.IDFromPrivateKey(kb)
	b1 := mk(kb, bID, 1, nil, "b1", "")
	b2 := mk(kb, bID, 2, b1.id[:], "b2", "")
	a7 := mk(ka, a, 7, a6.id[:], "7", "")
	a8 := mk(ka, a, 8, a7.id[:], "8", "")
	for _, st := range []struct {
		name string
		m    *msg
		want storeResult
		out  int
	}{
		{"b1", b1, stored, 1}, {"a8 before a7", a8, held, 0}, {"b2 while a8 is held", b2, stored, 1}, {"a7 releases a8", a7, stored, 2},
	} {
		res, out, err := s.insert(ctx, st.m)
		if err != nil || res[0] != st.want || len(out) != st.out {
			t.Errorf("%s: %v, %d stored, want %v, %d (%v)", st.name, res, len(out), st.want, st.out, err)
		}
		checkTips(t, s, st.name)
		checkHeld(t, s, st.name)
	}
	hs, err := s.heads(ctx, "wg1", "general")
	if err != nil || hs[a] != 8 {
		t.Errorf("head of the author in the room: %d (%v), want 8", hs[a], err)
	}
}

// checkTips checks the store's chain tips against SQLite: each is its
// author's last stored message in the log.
func checkTips(t *testing.T, s *Service, step string) {
	t.Helper()
	for k, tp := range s.tips {
		var seq int64
		var id string
		err := s.db.QueryRowContext(context.Background(), `SELECT seq, id FROM chat_messages WHERE workgroup=? AND log=? AND author=? ORDER BY seq DESC LIMIT 1`,
			k.wg, k.log, k.author.String()).Scan(&seq, &id)
		if errors.Is(err, sql.ErrNoRows) {
			err = nil
		}
		if err != nil || uint64(seq) != tp.seq || id != tp.id {
			t.Errorf("%s: tip %+v of %v, stored last %d %s (%v)", step, tp, k, seq, id, err)
		}
	}
}

// checkHeld checks the store's held counts per author chain against
// chat_held (heldidx.go): equal, none missing, none left at zero.
func checkHeld(t *testing.T, s *Service, step string) {
	t.Helper()
	want := s.loadHeld(context.Background())
	if want == nil || s.heldBy == nil {
		t.Fatalf("%s: held counts unknown (table %v, service %v)", step, want, s.heldBy)
	}
	if !maps.Equal(want, s.heldBy) {
		t.Errorf("%s: held counts %v, chat_held has %v", step, s.heldBy, want)
	}
}

// newStoreService is a chat Service on a fresh node database (closed at
// the test's end), with nothing but the store path: what the store tests
// drive directly.
func newStoreService(t *testing.T) (*Service, context.Context) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "node.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &Service{db: db}
	s.countHeld(ctx)
	return s, ctx
}
