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

// A writer retires pushIdle after its last send began, whenever its idle
// timer fires (the timer is not reset per send).
func TestPushIdleWait(t *testing.T) {
	t0 := time.Now()
	for _, c := range []struct {
		name     string
		last     time.Time
		now      time.Time
		wantWait time.Duration
	}{
		{"just sent", t0, t0, pushIdle},
		{"sent 10s ago", t0, t0.Add(10 * time.Second), pushIdle - 10*time.Second},
		{"idle exactly", t0, t0.Add(pushIdle), 0},
		{"idle longer", t0, t0.Add(2 * pushIdle), 0},
	} {
		if got := idleWait(c.last, c.now); got != c.wantWait {
			t.Errorf("%s: wait %v, want %v", c.name, got, c.wantWait)
		}
	}
}

// recentIDs keeps its entries by value: takePushed answers once.
func TestRecentTakePushedOnce(t *testing.T) {
	var r recentIDs
	_, p := newPeer(t)
	k := logKey{"wg", "room"}
	id := [32]byte{1}
	r.add(id, k, p, true)
	if a, ok := r.takePushed(id, k); !ok || a != p {
		t.Fatalf("first takePushed: %v %v", a, ok)
	}
	if _, ok := r.takePushed(id, k); ok {
		t.Fatal("second takePushed answered again")
	}
	if !r.has(id) {
		t.Fatal("entry lost")
	}
	next := byte(2)
	if n := testing.AllocsPerRun(100, func() { r.add([32]byte{next}, k, p, true); next++ }); n != 0 {
		t.Fatalf("add of a new ID: %v allocations", n)
	}
}
