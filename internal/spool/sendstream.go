package spool

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/wire"
)

// What a stream this node opens may cost it (records/2026-12-01-s15-spoolout.md).
//
// A recipient or a mailbox that accepts a deliver or mailbox stream and
// then reads slowly or not at all used to hold the worker that opened it:
// a write had no deadline (a ciphertext copy blocked for good once the
// peer's window was full), and every delivery worker (Config.Workers)
// held by such peers left nobody for the other members. Now:
//
//   - every read and every write of such a stream (sendStream) waits
//     sendIdle (idleTimeout, 1 min) at most for progress; writes go in
//     pieces of sendPiece, so a copy on a slow but honest link makes
//     progress often and is never cut for its length, while a peer that
//     stops reading (or reads a byte a second: its window stays shut) is
//     cut. The attempt then fails like any broken stream: the jobs not
//     settled go back to their retry schedule (backoff), and the
//     recipient's (sender, ID) key and its receipt keep the next attempt
//     from storing the message twice;
//   - a worker whose stream has made no progress for stallAfter (5 s)
//     gives its place in the pool of Config.Workers to the next peer and
//     goes on beside it (workSlot), up to maxStalled such workers at once,
//     so slow or stalled peers, one worker each, do not hold up the
//     others while they wait out sendIdle;
//   - every reply frame a worker reads must be whole within frameWait
//     (readFrame), and one not whole within stallAfter is a stall
//     (workSlot.watchFrame), so a peer dripping its reply a byte at a
//     time neither keeps the worker in the pool nor holds it for good
//     (records/2026-12-01-s16-bounds.md).
const (
	sendPiece  = 32 << 10
	stallAfter = 5 * time.Second
	maxStalled = 64
)

// sendStream is a deliver or mailbox stream this node opened, as its
// sender sees it: reads and writes bounded by the idle timeout, progress
// reported to the worker's slot. wire.Reader reads it without its scope
// (no reservation: the frames are replies to what this node asked).
type sendStream struct {
	st   network.Stream
	slot *workSlot // nil outside the delivery workers (fetch, receipts)
	deadlines
}

// sendStream wraps a stream this node opened for ctx's worker.
func (s *Service) sendStream(ctx context.Context, st network.Stream) *sendStream {
	idle := s.cfg.sendIdle
	if idle <= 0 {
		idle = idleTimeout
	}
	ws, _ := ctx.Value(slotKey{}).(*workSlot)
	return &sendStream{st: st, slot: ws, deadlines: deadlines{idle: idle}}
}

func (s *sendStream) Read(p []byte) (int, error) {
	s.beforeRead(s.st)
	s.slot.begin()
	n, err := s.st.Read(p)
	s.slot.end()
	return n, err
}

// readFrame reads one reply frame from r (which reads s): it must be
// whole within frameWait of when its reading began, however the peer
// trickles it (each byte re-arms the idle deadline only). The bulk bytes
// after a reply (a get's ciphertext) are read without it.
func (s *sendStream) readFrame(r *wire.Reader, v any) error {
	defer s.slot.watchFrame()()
	return s.frame(func() error { return r.ReadFrame(v) })
}

// askFrame writes one request frame on st and reads the reply frame
// within frameWait (readFrame).
func askFrame[Rep any](st *sendStream, r *wire.Reader, req any) (Rep, error) {
	var rep Rep
	if err := wire.WriteFrame(st, req); err != nil {
		return rep, err
	}
	if err := st.readFrame(r, &rep); err != nil {
		return rep, fmt.Errorf("read reply: %w", err)
	}
	return rep, nil
}

// Write writes p in pieces of sendPiece, each within the idle timeout
// (pushed on at most once a deadlineStep).
func (s *sendStream) Write(p []byte) (int, error) {
	var done int
	for len(p) > 0 {
		b := p[:min(len(p), sendPiece)]
		s.beforeWrite(s.st)
		s.slot.begin()
		n, err := s.st.Write(b)
		s.slot.end()
		done += n
		if err != nil {
			return done, err
		}
		p = p[n:]
	}
	return done, nil
}

func (s *sendStream) Close() error { return s.st.Close() }
func (s *sendStream) Reset() error { return s.st.Reset() }

type slotKey struct{}

// workSlot is a delivery worker's place in the loop's pool (pool, of
// Config.Workers). A worker whose stream waits stallAfter with no
// progress leaves the pool for a place in spare (maxStalled), if one is
// free, and goes on: the loop starts the next peer's worker meanwhile.
type workSlot struct {
	pool, spare chan struct{}
	after       time.Duration
	mu          sync.Mutex
	active      int         // reads and writes under way
	timer       *time.Timer // runs while active > 0: stalled when it fires
	stalled     bool        // holds a place in spare, not in pool
	done        bool
}

func newWorkSlot(pool, spare chan struct{}, after time.Duration) *workSlot {
	return &workSlot{pool: pool, spare: spare, after: after}
}

func (w *workSlot) context(ctx context.Context) context.Context {
	return context.WithValue(ctx, slotKey{}, w)
}

// begin notes a read or write starting; end, its return (progress or
// not, the stream's deadline decides). Each return restarts the wait.
func (w *workSlot) begin() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.active++
	if w.timer == nil {
		w.timer = time.AfterFunc(w.after, w.stall)
	} else if w.active == 1 {
		w.timer.Reset(w.after)
	}
}

func (w *workSlot) end() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.active--
	if w.active > 0 {
		w.timer.Reset(w.after) // one of two (a push writes while it reads) returned
	} else {
		w.timer.Stop()
	}
}

// watchFrame notes a reply frame being read: if it is not whole within
// the slot's wait, the worker is stalled (stallFrame), however often a
// byte of it comes (each one ends a read, which restarts begin's wait:
// a peer dripping its reply would keep the worker in the pool until
// frameWait). The returned func ends the watch.
func (w *workSlot) watchFrame() (stop func()) {
	if w == nil {
		return func() {}
	}
	t := time.AfterFunc(w.after, w.stallFrame)
	return func() { t.Stop() }
}

// stall moves the worker from pool to spare, if spare has room, when a
// read or write is under way.
func (w *workSlot) stall() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.active == 0 {
		return
	}
	w.leavePool()
}

// stallFrame moves the worker from pool to spare: a reply frame is late.
func (w *workSlot) stallFrame() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.leavePool()
}

// leavePool moves the worker from pool to spare if spare has room (w.mu held).
func (w *workSlot) leavePool() {
	if w.stalled || w.done {
		return
	}
	select {
	case w.spare <- struct{}{}:
	default:
		return // maxStalled workers stalled already: this one keeps its place
	}
	w.stalled = true
	<-w.pool
}

// release gives the worker's place back (when it ends).
func (w *workSlot) release() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	if w.timer != nil {
		w.timer.Stop()
	}
	if w.stalled {
		<-w.spare
	} else {
		<-w.pool
	}
}

// stalledWorkers is how many workers left the pool stalled (tests).
func (s *Service) stalledWorkers() int { return len(s.spare) }
