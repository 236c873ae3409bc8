package p2p

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// One warning per peer every WarnEvery; the next one counts those left
// out; other peers are not held back; the table of peers is bounded.
func TestWarnLimit(t *testing.T) {
	var w WarnLimit
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
		{"same peer after WarnEvery", p, WarnEvery, true, 2},
		{"then nothing left out", p, 2 * WarnEvery, true, 0},
	}
	for _, s := range steps {
		ok, n := w.Allow(s.p, t0.Add(s.at))
		if ok != s.ok || n != s.leftOutWant {
			t.Errorf("%s: (%v, %d), want (%v, %d)", s.name, ok, n, s.ok, s.leftOutWant)
		}
	}
	for i := range 2 * WarnPeers {
		w.Allow(peer.ID(rune(i)+'a'), t0.Add(3*WarnEvery))
	}
	if len(w.last) > WarnPeers {
		t.Errorf("%d peers remembered, at most %d", len(w.last), WarnPeers)
	}
}
