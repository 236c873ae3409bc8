package chat

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
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

// frameBuffered: the push reader hands its batch to the writer before
// a read that may block, that is unless a whole frame is buffered.
func TestFrameBuffered(t *testing.T) {
	frame := appendPushFrame(nil, bytes.Repeat([]byte{7}, 200)) // two length bytes
	for _, c := range []struct {
		name string
		in   []byte
		want bool
	}{
		{"nothing", nil, false},
		{"one length byte of two", frame[:1], false},
		{"the length only", frame[:2], false},
		{"all but a byte", frame[:len(frame)-1], false},
		{"a whole frame", frame, true},
		{"a frame and a part", append(slices.Clone(frame), frame[:5]...), true},
		{"a one-byte frame", appendPushFrame(nil, []byte{1}), true},
	} {
		r := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(c.in), blockReader{}), 1024)
		if len(c.in) > 0 {
			if _, err := r.Peek(len(c.in)); err != nil { // fill the buffer with c.in
				t.Fatal(err)
			}
		}
		if got := frameBuffered(r); got != c.want {
			t.Errorf("%s: frameBuffered %v, want %v", c.name, got, c.want)
		}
	}
}

// blockReader fails the test's reads past its input (frameBuffered
// must not read).
type blockReader struct{}

func (blockReader) Read([]byte) (int, error) { return 0, errors.New("read past the buffered bytes") }

// handPushes hands a batch in order; when the service stops with the
// writer's queue full, what was not handed leaves the in-flight set.
func TestHandPushes(t *testing.T) {
	_, a := newPeer(t)
	var batch []gossiped
	s := &Service{intake: make(chan gossiped, 2)}
	ctx, cancel := context.WithCancel(context.Background())
	s.ctx = ctx
	for seq := uint64(1); seq <= 4; seq++ {
		m := newMsg(body{V: version, Workgroup: "wg", Room: "r", Author: []byte(a), Seq: seq, Kind: KindText}, []byte{byte(seq)})
		batch = append(batch, gossiped{m: m, k: logKey{"wg", "r"}, fly: s.fly.add(m)})
	}
	if err := s.handPushes(batch[:2]); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if g := <-s.intake; g.m != batch[i].m {
			t.Fatalf("handed %d: seq %d", i, g.m.Seq)
		}
	}
	s.intake <- gossiped{} // one place left
	cancel()
	if err := s.handPushes(batch[2:]); !errors.Is(err, context.Canceled) {
		t.Fatalf("handPushes after the stop: %v", err)
	}
	if g := <-s.intake; g.m != nil {
		t.Fatal("queue order")
	}
	if g := <-s.intake; g.m != batch[2].m {
		t.Fatal("the first of the batch was not handed")
	}
	for i, want := range []bool{true, true, true, false} {
		if got := s.fly.has(batch[i].m); got != want {
			t.Errorf("seq %d in flight %v, want %v", i+1, got, want)
		}
	}
	if got := s.work.pushed.Load(); got != 4 {
		t.Errorf("pushed counted %d, want 4", got)
	}
}

// addAt records the time it is given (the push reader's reading of the
// frame's arrival): a gossip copy is taken unverified only within
// pushedCopyAge of it.
func TestRecentAddAt(t *testing.T) {
	_, p := newPeer(t)
	k := logKey{"wg", "room"}
	now := time.Now()
	for i, c := range []struct {
		at   time.Time
		want bool
	}{
		{now, true},
		{now.Add(-pushedCopyAge + time.Second), true},
		{now.Add(-pushedCopyAge - time.Second), false},
	} {
		var r recentIDs
		id := [32]byte{byte(i)}
		r.addAt(id, k, p, true, c.at)
		if _, ok := r.takePushed(id, k); ok != c.want {
			t.Errorf("added at now%+v: taken %v, want %v", c.at.Sub(now), ok, c.want)
		}
	}
}
