package p2p

import (
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// The periodic re-announce to a peer backs off while no writer to or
// from it opens (20 s, then gaps doubling up to 2 min), and starts again
// at 20 s when one does. Sweeps run every 20 s (the ping loop).
func TestReannounceBacksOff(t *testing.T) {
	const p = peer.ID("p")
	for _, tc := range []struct {
		name   string
		opened int   // a writer opens at this second (-1: never)
		want   []int // the sweeps (seconds) that re-announce to p
	}{
		{"idle", -1, []int{0, 20, 60, 140, 260, 380, 500}},
		{"a writer opens at 150 s", 150, []int{0, 20, 60, 140, 160, 180, 220, 300, 420, 540}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newGossipWriters(func(peer.ID, string) bool { return true })
			w.out[p] = &gossipStream{}
			t0 := time.Unix(1_000_000, 0)
			var got []int
			for sec := 0; sec < 600; sec += 20 {
				if tc.opened >= 0 && tc.opened > sec-20 && tc.opened <= sec {
					w.writerOpened(p)
				}
				if slices.Contains(w.duePeers(t0.Add(time.Duration(sec)*time.Second), reannounceSlack), p) {
					got = append(got, sec)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("re-announced at %v s, want %v", got, tc.want)
			}
		})
	}
}
