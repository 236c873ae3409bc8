package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// The sender's side of a live offer: while a large file copy is sealed
// into its spool file, a goroutine reads that file (never past what the
// sealer wrote) and sends it to the recipient, which is connected. The
// signed envelope goes last, and only once the job is durable in the
// outbox, so no recipient can store the message, nor sign a receipt,
// for a job a crash could still lose. While the live offer runs the
// scheduler leaves the job alone (Service.liveJobs); if it fails, the job
// is an ordinary queued job and is offered again, resuming from what the
// recipient holds.

// liveTap lets a live offer follow the spool file the sealer writes.
type liveTap struct {
	mu      sync.Mutex
	cond    sync.Cond
	f       *os.File // read side, opened when the sealer creates the file
	written uint64
	done    bool // every byte written
	failed  bool // the seal failed: nothing will be queued
}

func newLiveTap() *liveTap {
	t := &liveTap{}
	t.cond.L = &t.mu
	return t
}

// opened gives the tap the file being sealed (its temporary name).
func (t *liveTap) opened(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	t.mu.Lock()
	t.f = f
	t.mu.Unlock()
	return nil
}

// wrote records n more bytes written to the file.
func (t *liveTap) wrote(n int) {
	t.mu.Lock()
	t.written += uint64(n)
	t.mu.Unlock()
	t.cond.Broadcast()
}

// end records the seal's outcome.
func (t *liveTap) end(ok bool) {
	t.mu.Lock()
	if ok {
		t.done = true
	} else {
		t.failed = true
	}
	t.mu.Unlock()
	t.cond.Broadcast()
}

var errSealFailed = errors.New("the seal failed")

// avail waits until want bytes past off are written (or the seal ended)
// and returns how many can be read at off; 0 with done means all were
// read.
func (t *liveTap) avail(off, want uint64) (n uint64, done bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.written < off+want && !t.done && !t.failed {
		t.cond.Wait()
	}
	if t.failed {
		return 0, false, errSealFailed
	}
	return t.written - off, t.done, nil
}

func (t *liveTap) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f != nil {
		t.f.Close()
	}
}

// liveSend is one live offer.
type liveSend struct {
	s      *Service
	p      peer.ID
	hdr    liveHeader
	tap    *liveTap
	commit chan *dueJob // the job once durable; nil if it was not queued
}

// maybeLive starts a live offer for a large file copy to p (nil when p
// is not connected or the copy is small). bound is a generous upper bound
// of the ciphertext's size: the payload (header frame and files) plus
// age's header and per-chunk tags, which are far below 1/1024 of it and
// 64 KiB; the envelope states the exact size at the end.
func (s *Service) maybeLive(p peer.ID, wg string, hdr PayloadHeader, total uint64) (*liveSend, error) {
	if hdr.Kind != KindFile || total <= InlineMax {
		return nil, nil
	}
	hb, err := wire.Marshal(&hdr)
	if err != nil {
		return nil, fmt.Errorf("payload header: %w", err)
	}
	plain := total + uint64(len(hb)) + 16
	id, err := newMessageID()
	if err != nil {
		return nil, err
	}
	return s.startLive(p, id, wg, plain+plain/1024+64<<10), nil
}

// due is the job as a worker delivers it (for a live offer's settling).
func (sj sealedJob) due(p peer.ID, wg string) *dueJob {
	return &dueJob{id: sj.job.ID, hash: sj.hash, wg: wg, recipient: p, envelope: sj.envelope, size: sj.job.Size, state: StateQueued}
}

// startLive starts a live offer of message id to p, if p is connected
// (directly, or through a relay member's circuit as an offer may be).
// The caller seals into l.tap and then tells l.commit exactly once. Not
// on Windows: the sealed file is renamed while the live offer holds it
// open, which Windows refuses.
func (s *Service) startLive(p peer.ID, id []byte, wg string, bound uint64) *liveSend {
	if runtime.GOOS == "windows" {
		return nil
	}
	if s.cfg.NoLive || !s.connectedNow(p) { // receiptroute.go
		return nil
	}
	l := &liveSend{s: s, p: p, hdr: liveHeader{ID: id, Workgroup: wg, Kind: KindFile, Max: bound},
		tap: newLiveTap(), commit: make(chan *dueJob, 1)}
	key := fmt.Sprintf("%x", id)
	s.mu.Lock()
	s.liveJobs[key] = true
	s.mu.Unlock()
	// Send is an API call, outside the service's goroutines: counted so
	// Close waits for the offer; once Close began none starts and the
	// scheduler delivers the job instead.
	if !s.bg.Go(func() { l.run(s.life, key) }) {
		s.mu.Lock()
		delete(s.liveJobs, key)
		s.mu.Unlock()
		return nil
	}
	return l
}

// run sends the offer, then the envelope once the job is queued, and
// applies the receipt. A failure leaves the job to the scheduler.
func (l *liveSend) run(ctx context.Context, key string) {
	s := l.s
	defer l.tap.close()
	settled := false
	defer func() {
		s.mu.Lock()
		delete(s.liveJobs, key)
		s.mu.Unlock()
		if !settled {
			s.setProgress(key, 0)
			s.wakeFor(l.p) // the scheduler offers it (once queued)
		}
	}()
	st, err := s.h.NewStream(network.WithNoDial(network.WithAllowLimitedConn(ctx, "deliver"), "live offer"), l.p, p2p.ProtoDeliver)
	if err != nil {
		s.log.Debug("live offer: open stream", "peer", l.p, "err", err)
		return
	}
	stop := context.AfterFunc(ctx, func() { _ = st.Reset() })
	defer stop()
	defer st.Close()
	r := wire.NewReader(idleReader{st}, maxControlFrame)
	rep, err := ask[deliverReply](st, r, &deliverReq{Op: opLive, Live: &l.hdr})
	if err == nil && rep.Err != nil {
		err = rep.Err
	}
	if err == nil {
		err = l.send(st, key)
	}
	if errors.Is(err, errSealFailed) {
		return // the abort frame is written; Close lets it arrive
	}
	if err != nil {
		s.log.Debug("live offer: ended early; the job is offered later", "peer", l.p, "id", key, "err", err)
		_ = st.Reset()
		return
	}
	var j *dueJob
	select {
	case j = <-l.commit:
	case <-ctx.Done():
	}
	if j == nil {
		_ = wire.WriteFrame(st, &deliverReq{Op: opLiveAbort})
		return
	}
	_ = st.SetWriteDeadline(time.Now().Add(idleTimeout))
	if err := wire.WriteFrame(st, &deliverReq{Op: opLiveSeal, Envelope: j.envelope}); err != nil {
		_ = st.Reset()
		return
	}
	rep = deliverReply{}
	if err := r.ReadFrame(&rep); err != nil {
		s.log.Debug("live offer: read receipt", "peer", l.p, "id", key, "err", err)
		_ = st.Reset()
		return
	}
	if err := s.settleOffer(ctx, rep, l.p, *j, routeOf(st)); err != nil {
		s.log.Warn("live offer: settle", "id", key, "err", err)
		return
	}
	settled = true
	s.liveDone.Add(1)
}

// send writes the ciphertext in segments as the sealer writes it, then
// the end marker; a failed seal ends with an abort frame. A segment and
// its length are one write of pipeBuf bytes: one yamux frame
// (p2p.YamuxMessage), where pipeBuf+4 would make a second frame of 4.
func (l *liveSend) send(st network.Stream, key string) error {
	const seg = pipeBuf - 4
	buf := make([]byte, pipeBuf)
	var off uint64
	for {
		n, done, err := l.tap.avail(off, seg)
		if err != nil {
			_, _ = st.Write(make([]byte, 4))
			_ = wire.WriteFrame(st, &deliverReq{Op: opLiveAbort})
			return err
		}
		if n == 0 && done {
			break
		}
		n = min(n, seg)
		if _, err := l.tap.f.ReadAt(buf[4:4+n], int64(off)); err != nil {
			return fmt.Errorf("read spool file: %w", err)
		}
		binary.BigEndian.PutUint32(buf[:4], uint32(n))
		_ = st.SetWriteDeadline(time.Now().Add(idleTimeout)) // a stalled peer frees the job
		if _, err := st.Write(buf[:4+n]); err != nil {
			return err
		}
		off += n
		l.s.setProgress(key, off)
	}
	_, err := st.Write(make([]byte, 4))
	return err
}

// told hands the live offer the job's outcome: queued (j) or not (nil).
func (l *liveSend) told(j *dueJob) {
	if l != nil {
		l.commit <- j
	}
}
