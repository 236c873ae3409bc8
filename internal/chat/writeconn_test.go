package chat

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/store"
)

// TestWriteConn: the store path's kept connection commits what a
// transaction did, rolls back a transaction that fails (leaving the
// connection outside any transaction, its rows gone), and is replaced
// after it is discarded.
func TestWriteConn(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "node.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := &Service{db: db}
	defer s.closeWriteConn()
	s.countHeld(ctx)
	k, _, _ := crypto.GenerateEd25519Key(nil)
	id, _ := peer.IDFromPrivateKey(k)
	var prev []byte
	next := func(seq uint64) *msg {
		m, err := sign(k, body{V: version, Workgroup: "wg1", Room: "general", Author: []byte(id), Seq: seq, Prev: prev,
			HLC: uint64(time.Now().UnixMilli()) << hlcShift, Kind: KindText, Text: "text"})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	count := func() int {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM chat_messages`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	store := func(m *msg) {
		t.Helper()
		if res, _, err := s.insert(ctx, m); err != nil || res[0] != stored {
			t.Fatalf("insert seq %d: %v %v", m.Seq, res, err)
		}
		prev = m.id[:]
	}
	store(next(1))
	if s.wconn == nil {
		t.Fatal("no write connection kept")
	}
	failed := errors.New("failed on purpose")
	m2 := next(2)
	s.storeMu.Lock()
	_, err = s.storeTx(ctx, func(q *txq) error {
		if err := insertRow(ctx, q, m2); err != nil {
			return err
		}
		return failed
	})
	s.storeMu.Unlock()
	if !errors.Is(err, failed) {
		t.Fatalf("storeTx: %v, want the function's error", err)
	}
	if n := count(); n != 1 {
		t.Fatalf("%d rows after a failed transaction, want 1", n)
	}
	store(m2) // the connection is usable: not left inside a transaction
	s.storeMu.Lock()
	s.dropWriteConn()
	s.storeMu.Unlock()
	store(next(3))
	if s.wconn == nil {
		t.Fatal("no write connection after the last was discarded")
	}
	if n := count(); n != 3 {
		t.Fatalf("%d rows, want 3", n)
	}
}
