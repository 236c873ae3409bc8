package chat

import (
	"fmt"
	"slices"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
)

// The writer stores a batch in chain order: per log and author by seq,
// whatever order gossip brought it in (a successor validated before its
// predecessor is then stored, not held).
func TestChainOrder(t *testing.T) {
	ka, a := newPeer(t)
	kb, b := newPeer(t)
	mk := func(key crypto.PrivKey, author []byte, room string, seq uint64) gossiped {
		m, err := sign(key, body{V: version, Workgroup: "wg1", Room: room, Author: author, Seq: seq, Prev: prevOf(seq), HLC: seq, Kind: KindText, Text: "x"})
		if err != nil {
			t.Fatal(err)
		}
		return gossiped{m: m, k: logKey{"wg1", room}}
	}
	name := func(g gossiped) string {
		who := "a"
		if g.m.author() == b {
			who = "b"
		}
		return fmt.Sprintf("%s/%s%d", g.k.log, who, g.m.Seq)
	}
	tests := []struct {
		name string
		in   []gossiped
	}{
		{"one author, successor first", []gossiped{mk(ka, []byte(a), "r", 3), mk(ka, []byte(a), "r", 2), mk(ka, []byte(a), "r", 1)}},
		{"two authors interleaved", []gossiped{mk(kb, []byte(b), "r", 2), mk(ka, []byte(a), "r", 2), mk(kb, []byte(b), "r", 1), mk(ka, []byte(a), "r", 1)}},
		{"two rooms", []gossiped{mk(ka, []byte(a), "s", 2), mk(ka, []byte(a), "r", 5), mk(ka, []byte(a), "s", 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			batch := slices.Clone(tt.in)
			chainOrder(batch)
			for i := 1; i < len(batch); i++ {
				x, y := batch[i-1], batch[i]
				if x.k == y.k && x.m.author() == y.m.author() && x.m.Seq > y.m.Seq {
					t.Fatalf("not in chain order: %s before %s", name(x), name(y))
				}
			}
			var got []string
			for _, g := range batch {
				got = append(got, name(g))
			}
			if len(got) != len(tt.in) {
				t.Fatalf("batch %v lost messages", got)
			}
		})
	}
}

// prevOf is a stand-in previous hash for seq (chainOrder reads only
// the log, author and seq).
func prevOf(seq uint64) []byte {
	if seq == 1 {
		return nil
	}
	return make([]byte, 32)
}
