package p2p

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
)

// deadlineStream records the write deadlines set on it.
type deadlineStream struct {
	network.Stream
	set []time.Time
}

func (d *deadlineStream) SetWriteDeadline(t time.Time) error {
	d.set = append(d.set, t)
	return nil
}

// A router's writer moves its write deadline only when the one set is
// deadlineSlack or more earlier than asked (or none is asked, or an
// earlier one): a frame always has at least 30 s - slack.
func TestGossipWriteDeadlineCoalesced(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	steps := []struct {
		ask  time.Time
		sets bool
	}{
		{t0.Add(30 * time.Second), true},  // first
		{t0.Add(31 * time.Second), false}, // 1 s later: kept
		{t0.Add(34 * time.Second), false}, // 4 s later: kept
		{t0.Add(35 * time.Second), true},  // slack reached
		{t0.Add(20 * time.Second), true},  // earlier: always
		{time.Time{}, true},               // none
		{t0.Add(40 * time.Second), true},  // after none
		{t0.Add(40 * time.Second), false}, // the same
	}
	rec := &deadlineStream{}
	s := &gossipStream{Stream: rec}
	for i, st := range steps {
		n := len(rec.set)
		if err := s.SetWriteDeadline(st.ask); err != nil {
			t.Fatal(err)
		}
		if got := len(rec.set) > n; got != st.sets {
			t.Fatalf("step %d: set %v, want %v", i, got, st.sets)
		}
		if got := rec.set[len(rec.set)-1]; st.sets && !got.Equal(st.ask) || got.After(st.ask) || !st.ask.IsZero() && st.ask.Sub(got) >= deadlineSlack {
			t.Fatalf("step %d: deadline %v for %v", i, got, st.ask)
		}
	}
}
