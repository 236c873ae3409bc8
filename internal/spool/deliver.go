package spool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/wire"
)

const (
	opOffer          = "offer"
	opReceipt        = "receipt"
	opPush           = "push" // envelope and ciphertext in one frame (small messages)
	codeBusy         = "busy"
	idleTimeout      = time.Minute
	maxControlFrame  = 4 << 20
	maxBatchItems    = 256
	maxBatchBytes    = 1 << 20
	maxListFrame     = 8 << 20
	deliverBatchSize = 1024
)

type deliverReq struct {
	Op       string     `cbor:"1,keyasint"`
	Envelope []byte     `cbor:"2,keyasint,omitempty"`
	Receipt  []byte     `cbor:"3,keyasint,omitempty"`
	Data     []byte     `cbor:"4,keyasint,omitempty"`
	Items    []pushItem `cbor:"5,keyasint,omitempty"`
	// Live opens a live offer (op "live", live_serve.go); older nodes
	// answer it "unknown op" and the sender offers the message later.
	Live *liveHeader `cbor:"6,keyasint,omitempty"`
}

// pushItem is one small message of a batch: envelope and whole ciphertext.
type pushItem struct {
	Envelope []byte `cbor:"1,keyasint"`
	Data     []byte `cbor:"2,keyasint"`
}

type deliverReply struct {
	Offset  uint64         `cbor:"1,keyasint,omitempty"`
	Done    bool           `cbor:"2,keyasint,omitempty"`
	Receipt []byte         `cbor:"3,keyasint,omitempty"`
	Err     *wire.Error    `cbor:"4,keyasint,omitempty"`
	Replies []deliverReply `cbor:"5,keyasint,omitempty"`
}

// idleReader extends the stream's read deadline before every read, so a
// silent peer cannot hold a stream this node opened forever but a long
// transfer can run: live offers' replies (live_send.go, whose writes have
// their own deadlines). Served streams use servedStream, the other
// streams this node opens sendStream.
type idleReader struct{ st network.Stream }

func (r idleReader) Read(p []byte) (int, error) {
	_ = r.st.SetReadDeadline(time.Now().Add(idleTimeout))
	return r.st.Read(p)
}

// servedStream is a stream this node serves (deliver, mailbox), as its
// handlers see it. It bounds what one member can make the handler wait
// for (records/2026-12-01-s15-hostile.md):
//
//   - every read waits idle at most (a silent peer), and a request frame
//     must be whole within frameWait of when its reading began
//     (deadlines);
//   - every write waits idle at most: a peer that never reads its
//     replies (its receive window full) frees the handler instead of
//     holding it, and its goroutine, until the connection ends;
//   - it is the stream itself for wire.Reader (it embeds it: Scope), so
//     each request frame is reserved in the stream's resource scope before
//     it is allocated (a header announcing 4 MiB on each of many streams
//     allocated 4 MiB each).
type servedStream struct {
	network.Stream
	deadlines
}

func (s *servedStream) Read(p []byte) (int, error) {
	s.beforeRead(s.Stream)
	return s.Stream.Read(p)
}

func (s *servedStream) Write(p []byte) (int, error) {
	s.beforeWrite(s.Stream)
	return s.Stream.Write(p)
}

// serveRequests reads request frames of type Req from st until it ends
// and hands each to handle, which answers it; when handle reports the
// stream no longer usable (false) the stream is reset. The handler is
// the service's work (s.bg.Add): Close resets its stream, so it ends
// with the request at hand (its writes are each committed whole or not
// at all, as on any broken stream), and waits for it; a stream that
// arrives once Close began is reset unread.
func serveRequests[Req any](s *Service, st network.Stream, what string,
	handle func(ctx context.Context, st network.Stream, r *wire.Reader, remote peer.ID, req *Req) bool) {
	if !s.bg.Add() {
		_ = st.Reset()
		return
	}
	defer s.bg.Done()
	defer st.Close()
	defer context.AfterFunc(s.life, func() { _ = st.Reset() })()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	remote := st.Conn().RemotePeer()
	ss := &servedStream{Stream: st, deadlines: deadlines{idle: s.serveIdle()}}
	r := wire.NewReader(ss, maxControlFrame)
	defer r.Release()
	for {
		var req Req
		err := ss.frame(func() error { return r.ReadFrame(&req) })
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.log.Debug(what+": read request", "peer", remote, "err", err)
			}
			return
		}
		if !handle(ctx, ss, r, remote, &req) {
			_ = st.Reset()
			return
		}
	}
}

// ask writes one request frame and reads the reply frame.
func ask[Rep any](w io.Writer, r *wire.Reader, req any) (Rep, error) {
	var rep Rep
	if err := wire.WriteFrame(w, req); err != nil {
		return rep, err
	}
	if err := r.ReadFrame(&rep); err != nil {
		return rep, fmt.Errorf("read reply: %w", err)
	}
	return rep, nil
}

// serveIdle is the idle timeout of the streams this node serves.
func (s *Service) serveIdle() time.Duration {
	if s.cfg.serveIdle > 0 {
		return s.cfg.serveIdle
	}
	return idleTimeout
}

// stallWait is how long a delivery worker's stream may make no progress
// before the worker leaves the pool (sendstream.go).
func (s *Service) stallWait() time.Duration {
	if s.cfg.stallAfter > 0 {
		return s.cfg.stallAfter
	}
	return stallAfter
}
