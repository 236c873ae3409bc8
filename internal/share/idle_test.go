package share

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
)

// deadlineStream records the deadlines a transfer sets (the rest of
// network.Stream is not used by idleReader and idleWriter).
type deadlineStream struct {
	network.Stream
	reads, writes []time.Time
}

func (s *deadlineStream) SetReadDeadline(t time.Time) error { s.reads = append(s.reads, t); return nil }
func (s *deadlineStream) SetWriteDeadline(t time.Time) error {
	s.writes = append(s.writes, t)
	return nil
}
func (s *deadlineStream) Write(p []byte) (int, error) { return len(p), nil }

// The idle deadline is set before the first byte moves, pushed at most
// once per deadlineStep while bytes keep moving (not per read: that cost
// a yamux timer reset per frame), and pushed again once the step passed.
func TestIdleDeadlinePushedOncePerStep(t *testing.T) {
	for _, tc := range []struct {
		name string
		push func(st *deadlineStream, n int) (calls func() []time.Time, expire func())
	}{
		{"reader", func(st *deadlineStream, n int) (func() []time.Time, func()) {
			r := &idleReader{r: bytes.NewReader(make([]byte, n)), st: st}
			for {
				if _, err := r.Read(make([]byte, 1)); err == io.EOF {
					break
				}
			}
			return func() []time.Time { return st.reads }, func() { r.next = time.Now().Add(-time.Millisecond); _, _ = r.Read(nil) }
		}},
		{"writer", func(st *deadlineStream, n int) (func() []time.Time, func()) {
			w := &idleWriter{st: st}
			for range n {
				_, _ = w.Write([]byte{1})
			}
			return func() []time.Time { return st.writes }, func() { w.next = time.Now().Add(-time.Millisecond); _, _ = w.Write(nil) }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &deadlineStream{}
			start := time.Now()
			calls, expire := tc.push(st, 1000)
			k := len(calls()) // 1; 2 only if this machine paused for a whole step
			if k < 1 || k > 2 {
				t.Fatalf("1000 quick calls set the deadline %d times, want once", k)
			}
			if d := calls()[0].Sub(start); d < idleTimeout || d > idleTimeout+deadlineStep {
				t.Fatalf("deadline %v ahead, want about %v", d, idleTimeout)
			}
			expire()
			if got := len(calls()); got != k+1 {
				t.Fatalf("after the step passed the deadline was set %d times in all, want %d", got, k+1)
			}
		})
	}
}
