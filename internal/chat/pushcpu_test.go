package chat

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	mh "github.com/multiformats/go-multihash"
)

// isTimeout runs per frame read: no allocation when there is no error,
// and the answers are unchanged.
func TestIsTimeout(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("other"), false},
		{os.ErrDeadlineExceeded, true},
		{fmt.Errorf("wrapped: %w", os.ErrDeadlineExceeded), true},
	} {
		if got := isTimeout(c.err); got != c.want {
			t.Errorf("isTimeout(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = isTimeout(nil) }); n != 0 {
		t.Fatalf("isTimeout(nil): %v allocations", n)
	}
}

// enqueue takes the caller's clock reading (one per message, not per
// peer): a broken writer refuses until brokenUntil, then takes frames
// while its queue has room.
func TestPushEnqueueNow(t *testing.T) {
	o := &pushOut{q: make(chan pushFrame, 1)}
	until := time.Now().Add(time.Second).UnixNano()
	o.brokenUntil.Store(until)
	for _, c := range []struct {
		name string
		now  int64
		want bool
	}{
		{"broken", until - 1, false},
		{"mended", until, true},
		{"queue full", until + 1, false},
	} {
		if got := o.enqueue(pushFrame{}, c.now); got != c.want {
			t.Fatalf("%s: enqueue %v, want %v", c.name, got, c.want)
		}
	}
}

// body.check validates an author with mh.Cast, which is
// peer.IDFromBytes's whole check: both accept the same bytes.
func TestAuthorCheckAsIDFromBytes(t *testing.T) {
	_, p := newPeer(t)
	for _, b := range [][]byte{nil, {0}, {0, 0}, {0x12, 0x20}, []byte(p), []byte(p)[:10], append([]byte(p), 1),
		{0x12, 0x02, 1, 2}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}} {
		_, e1 := mh.Cast(b)
		_, e2 := peer.IDFromBytes(b)
		if (e1 == nil) != (e2 == nil) {
			t.Errorf("%x: mh.Cast %v, peer.IDFromBytes %v", b, e1, e2)
		}
	}
}
