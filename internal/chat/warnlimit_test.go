package chat

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// One warning per peer every warnEvery; the next one counts those left
// out; other peers are not held back; the table of peers is bounded.
func TestWarnLimit(t *testing.T) {
	var w warnLimit
	t0 := time.Unix(1000, 0)
	p, q := peer.ID("p"), peer.ID("q")
	steps := []struct {
		name        string
		p           peer.ID
		at          time.Duration
		ok          bool
		leftOutWant int
	}{
		{"first", p, 0, true, 0},
		{"same peer at once", p, time.Second, false, 0},
		{"same peer again", p, 2 * time.Second, false, 0},
		{"another peer", q, 2 * time.Second, true, 0},
		{"same peer after warnEvery", p, warnEvery, true, 2},
		{"then nothing left out", p, 2 * warnEvery, true, 0},
	}
	for _, s := range steps {
		ok, n := w.allow(s.p, t0.Add(s.at))
		if ok != s.ok || n != s.leftOutWant {
			t.Errorf("%s: (%v, %d), want (%v, %d)", s.name, ok, n, s.ok, s.leftOutWant)
		}
	}
	for i := range 2 * warnPeers {
		w.allow(peer.ID(rune(i)+'a'), t0.Add(3*warnEvery))
	}
	if len(w.last) > warnPeers {
		t.Errorf("%d peers remembered, at most %d", len(w.last), warnPeers)
	}
}

// clampSeq maps what a range may ask to SQLite's integers.
func TestClampSeq(t *testing.T) {
	for _, x := range []struct {
		in   uint64
		want int64
	}{{0, 0}, {1, 1}, {1<<63 - 1, 1<<63 - 1}, {1 << 63, 1<<63 - 1}, {1<<64 - 1, 1<<63 - 1}} {
		if got := clampSeq(x.in); got != x.want {
			t.Errorf("clampSeq(%d) = %d, want %d", x.in, got, x.want)
		}
	}
}
