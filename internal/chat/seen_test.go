package chat

import (
	"context"
	"path/filepath"
	"testing"

	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/store"
)

// The validator's in-memory heads say "stored already" exactly for the
// messages at or below their author's stored head, whether they were
// stored before the heads were loaded or after; and a chat topic's
// gossipsub message ID is the chat message's ID.
func TestSeenHeads(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "node.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &Service{db: db}
	ka, a := newPeer(t)
	kb, b := newPeer(t)
	k := logKey{"wg1", "general"}
	chain := func(key crypto.PrivKey, author peer.ID, n int) []*msg {
		var out []*msg
		var prev []byte
		for i := 1; i <= n; i++ {
			bd := body{V: version, Workgroup: k.wg, Room: k.log, Author: []byte(author), Seq: uint64(i), Prev: prev, HLC: uint64(i), Kind: KindText, Text: "x"}
			m, err := sign(key, bd)
			if err != nil {
				t.Fatal(err)
			}
			prev = m.id[:]
			out = append(out, m)
		}
		return out
	}
	as, bs := chain(ka, a, 3), chain(kb, b, 1)
	if _, _, err := s.insert(ctx, as[0], as[1]); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		m    *msg
		want bool
	}{
		{"first, stored before loading", as[0], true},
		{"second, stored before loading", as[1], true},
		{"third, not stored", as[2], false},
		{"other author, not stored", bs[0], false},
	}
	for _, tc := range tests {
		if got := s.seen.stored(ctx, s, k, tc.m); got != tc.want {
			t.Errorf("%s: stored = %v, want %v", tc.name, got, tc.want)
		}
	}
	// Stored after the heads were loaded: acceptAll advances them.
	s.acceptAll(ctx, []*msg{as[2], bs[0]}, nil)
	for _, m := range []*msg{as[2], bs[0]} {
		if !s.seen.stored(ctx, s, k, m) {
			t.Errorf("seq %d of %s: not seen after being stored", m.Seq, m.author())
		}
	}
	if got := msgID(&pb.Message{Data: as[0].raw}); got != string(as[0].id[:]) {
		t.Errorf("gossipsub message ID %x, want the chat ID %s", got, as[0].ID())
	}
}
