package discovery

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// A member whose connections end at once is redialled after a wait that
// doubles each time (to MaxBackoff), not every second; a connection that
// lived resets it.
func TestRedialWaitGrowsForShortConnections(t *testing.T) {
	s := &Service{cfg: Config{MaxBackoff: 8 * time.Second}, flaps: map[peer.ID]time.Duration{}}
	p := peer.ID("member")
	now := time.Now()
	for i, tc := range []struct {
		opened time.Time
		want   time.Duration
	}{
		{now, time.Second},
		{now, 2 * time.Second},
		{now, 4 * time.Second},
		{now, 8 * time.Second},
		{now, 8 * time.Second},               // capped
		{now.Add(-time.Minute), time.Second}, // a connection that lived
		{now, time.Second},                   // starts again
		{time.Time{}, time.Second},           // unknown opening time
	} {
		if got := s.redialWait(p, tc.opened); got != tc.want {
			t.Fatalf("step %d: wait %s, want %s", i, got, tc.want)
		}
	}
}
