package spool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

const (
	opOffer          = "offer"
	opReceipt        = "receipt"
	codeBusy         = "busy"
	idleTimeout      = time.Minute
	maxControlFrame  = 64 << 10
	maxListFrame     = 8 << 20
	deliverBatchSize = 64
)

type deliverReq struct {
	Op       string `cbor:"1,keyasint"`
	Envelope []byte `cbor:"2,keyasint,omitempty"`
	Receipt  []byte `cbor:"3,keyasint,omitempty"`
}

type deliverReply struct {
	Offset  uint64      `cbor:"1,keyasint,omitempty"`
	Done    bool        `cbor:"2,keyasint,omitempty"`
	Receipt []byte      `cbor:"3,keyasint,omitempty"`
	Err     *wire.Error `cbor:"4,keyasint,omitempty"`
}

// idleReader extends the stream's read deadline before every read, so a
// silent peer cannot hold a handler forever but a long transfer can run.
type idleReader struct{ st network.Stream }

func (r idleReader) Read(p []byte) (int, error) {
	_ = r.st.SetReadDeadline(time.Now().Add(idleTimeout))
	return r.st.Read(p)
}

func (s *Service) handleDeliver(st network.Stream) {
	defer st.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	remote := st.Conn().RemotePeer()
	r := wire.NewReader(idleReader{st}, maxControlFrame)
	for {
		var req deliverReq
		if err := r.ReadFrame(&req); err != nil {
			if !errors.Is(err, io.EOF) {
				s.log.Debug("deliver: read request", "peer", remote, "err", err)
			}
			return
		}
		var ok bool
		switch req.Op {
		case opOffer:
			ok = s.serveOffer(ctx, st, r, remote, req.Envelope)
		case opReceipt:
			err := s.acceptReceipt(ctx, req.Receipt, remote)
			reply := deliverReply{}
			if err != nil {
				reply.Err = &wire.Error{Code: wire.CodeBadRequest, Message: err.Error()}
			}
			ok = wire.WriteFrame(st, &reply) == nil
		default:
			_ = wire.WriteFrame(st, &deliverReply{Err: &wire.Error{Code: wire.CodeBadRequest, Message: "unknown op " + req.Op}})
		}
		if !ok {
			_ = st.Reset()
			return
		}
	}
}

// serveOffer handles one offered message; false means the stream is no
// longer usable.
func (s *Service) serveOffer(ctx context.Context, st network.Stream, r *wire.Reader, remote peer.ID, envBytes []byte) bool {
	env, err := s.checkIncoming(envBytes)
	if err != nil {
		var rj *rejectError
		if errors.As(err, &rj) {
			s.log.Warn("refused message", "peer", remote, "id", env.IDString(), "reason", rj.reason)
			return wire.WriteFrame(st, &deliverReply{Receipt: s.rejection(env, rj.reason)}) == nil
		}
		s.log.Warn("refused malformed envelope", "peer", remote, "err", err)
		return wire.WriteFrame(st, &deliverReply{Err: &wire.Error{Code: wire.CodeBadRequest, Message: err.Error()}}) == nil
	}
	id := env.IDString()
	if rec, ok := s.storedReceipt(ctx, id); ok {
		return wire.WriteFrame(st, &deliverReply{Done: true, Receipt: rec}) == nil
	}
	key := "in-" + id
	if !s.lock(key) {
		return wire.WriteFrame(st, &deliverReply{Err: &wire.Error{Code: codeBusy, Message: "message is being received on another stream"}}) == nil
	}
	defer s.unlock(key)
	off := s.spool.partialSize(key, env.Size)
	if err := wire.WriteFrame(st, &deliverReply{Offset: off}); err != nil {
		return false
	}
	sl, err := s.spool.receive(r, key, off, env.Size, env.Hash)
	if errors.Is(err, errHashMismatch) {
		s.log.Warn("refused tampered message", "peer", remote, "id", id, "err", err)
		return wire.WriteFrame(st, &deliverReply{Receipt: s.rejection(env, err.Error())}) == nil
	}
	if err != nil {
		s.log.Info("deliver: transfer interrupted", "peer", remote, "id", id, "err", err)
		return false
	}
	rec, err := s.storeIncoming(ctx, env, envBytes, sl, "")
	if err != nil {
		var rj *rejectError
		if errors.As(err, &rj) {
			s.log.Warn("refused message", "peer", remote, "id", id, "reason", rj.reason)
			return wire.WriteFrame(st, &deliverReply{Receipt: s.rejection(env, rj.reason)}) == nil
		}
		s.log.Error("store message", "id", id, "err", err)
		return wire.WriteFrame(st, &deliverReply{Err: &wire.Error{Code: wire.CodeInternal, Message: "could not store the message"}}) == nil
	}
	return wire.WriteFrame(st, &deliverReply{Receipt: rec}) == nil
}

// acceptReceipt verifies a receipt addressed to this node and applies it
// to the outbox. relay is the peer that handed it over.
func (s *Service) acceptReceipt(ctx context.Context, b []byte, relay peer.ID) error {
	rec, err := DecodeReceipt(b)
	if err != nil {
		return err
	}
	if peer.ID(rec.To) != s.self {
		return fmt.Errorf("receipt addressed to %s", peer.ID(rec.To))
	}
	if err := rec.Verify(); err != nil {
		s.log.Warn("refused receipt with bad signature", "relay", relay, "err", err)
		return err
	}
	return s.finishJob(ctx, rec)
}

// deliverDirect offers jobs to their recipient p over one stream. It
// returns the jobs it could not settle (the connection failed).
func (s *Service) deliverDirect(ctx context.Context, p peer.ID, jobs []dueJob) ([]dueJob, error) {
	st, err := s.h.NewStream(network.WithAllowLimitedConn(ctx, "deliver"), p, p2p.ProtoDeliver)
	if err != nil {
		return jobs, fmt.Errorf("open deliver stream: %w", err)
	}
	defer st.Close()
	r := wire.NewReader(idleReader{st}, maxControlFrame)
	for i, j := range jobs {
		if err := s.offerOne(ctx, st, r, p, j); err != nil {
			_ = st.Reset()
			return jobs[i:], err
		}
	}
	return nil, nil
}

func (s *Service) offerOne(ctx context.Context, st network.Stream, r *wire.Reader, p peer.ID, j dueJob) error {
	if err := wire.WriteFrame(st, &deliverReq{Op: opOffer, Envelope: j.envelope}); err != nil {
		return err
	}
	var rep deliverReply
	if err := r.ReadFrame(&rep); err != nil {
		return fmt.Errorf("read offer reply: %w", err)
	}
	if rep.Err == nil && rep.Receipt == nil {
		if err := s.sendCiphertext(st, j, rep.Offset); err != nil {
			return err
		}
		rep = deliverReply{}
		if err := r.ReadFrame(&rep); err != nil {
			return fmt.Errorf("read receipt: %w", err)
		}
	}
	if rep.Err != nil {
		if rep.Err.Code == codeBusy || rep.Err.Code == wire.CodeInternal {
			s.attemptFailed(ctx, j, "recipient: "+rep.Err.Error())
			return nil
		}
		return s.setJobState(ctx, j.id, StateFailed, "direct", "refused by recipient: "+rep.Err.Error())
	}
	if err := s.applyReceiptFrom(ctx, rep.Receipt, p); err != nil {
		s.attemptFailed(ctx, j, err.Error())
		return nil
	}
	_, _ = s.db.ExecContext(ctx, `UPDATE spool_outbox SET route='direct' WHERE id=?`, j.id)
	return nil
}

// applyReceiptFrom checks a receipt came from p (the recipient) and applies it.
func (s *Service) applyReceiptFrom(ctx context.Context, b []byte, p peer.ID) error {
	rec, err := DecodeReceipt(b)
	if err != nil {
		return err
	}
	if peer.ID(rec.From) != p {
		return fmt.Errorf("receipt signed by %s, not by the recipient", peer.ID(rec.From))
	}
	if err := rec.Verify(); err != nil {
		return err
	}
	return s.finishJob(ctx, rec)
}

// sendCiphertext writes a job's ciphertext from offset, tracking progress.
func (s *Service) sendCiphertext(w io.Writer, j dueJob, off uint64) error {
	if off > j.size {
		return fmt.Errorf("peer asks from offset %d of %d bytes", off, j.size)
	}
	rc, err := s.spool.open(j.inline, j.hash, off)
	if err != nil {
		return err
	}
	defer rc.Close()
	pw := &progressWriter{w: w, s: s, id: j.id, n: off}
	n, err := io.Copy(pw, io.LimitReader(rc, int64(j.size-off)))
	if err == nil && uint64(n) != j.size-off {
		err = fmt.Errorf("spool file of %s is short: %w", j.id, io.ErrUnexpectedEOF)
	}
	return err
}

type progressWriter struct {
	w  io.Writer
	s  *Service
	id string
	n  uint64
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.n += uint64(n)
	if len(b) >= 32<<10 {
		p.s.setProgress(p.id, p.n)
	}
	return n, err
}
