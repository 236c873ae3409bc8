package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
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
// silent peer cannot hold a handler forever but a long transfer can run.
type idleReader struct{ st network.Stream }

func (r idleReader) Read(p []byte) (int, error) {
	_ = r.st.SetReadDeadline(time.Now().Add(idleTimeout))
	return r.st.Read(p)
}

// serveRequests reads request frames of type Req from st until it ends
// and hands each to handle, which answers it; when handle reports the
// stream no longer usable (false) the stream is reset.
func serveRequests[Req any](s *Service, st network.Stream, what string,
	handle func(ctx context.Context, st network.Stream, r *wire.Reader, remote peer.ID, req *Req) bool) {
	defer st.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	remote := st.Conn().RemotePeer()
	r := wire.NewReader(idleReader{st}, maxControlFrame)
	for {
		var req Req
		if err := r.ReadFrame(&req); err != nil {
			if !errors.Is(err, io.EOF) {
				s.log.Debug(what+": read request", "peer", remote, "err", err)
			}
			return
		}
		if !handle(ctx, st, r, remote, &req) {
			_ = st.Reset()
			return
		}
	}
}

func (s *Service) handleDeliver(st network.Stream) { serveRequests(s, st, "deliver", s.serveDeliver) }

// serveDeliver answers one /peerhood/deliver/1 request.
func (s *Service) serveDeliver(ctx context.Context, st network.Stream, r *wire.Reader, remote peer.ID, req *deliverReq) bool {
	switch req.Op {
	case opOffer:
		return s.serveOffer(ctx, st, r, remote, req.Envelope)
	case opPush:
		rep := s.servePushes(ctx, remote, req.Items)
		return rep != nil && wire.WriteFrame(st, rep) == nil
	case opReceipt:
		err := s.acceptReceipt(ctx, req.Receipt, remote)
		reply := deliverReply{}
		if err != nil {
			reply.Err = &wire.Error{Code: wire.CodeBadRequest, Message: err.Error()}
		}
		return wire.WriteFrame(st, &reply) == nil
	}
	_ = wire.WriteFrame(st, &deliverReply{Err: &wire.Error{Code: wire.CodeBadRequest, Message: "unknown op " + req.Op}})
	return false
}

// checkOffered checks an envelope offered or pushed by remote. Only the
// sender itself delivers directly (mailboxes are fetched from), so an
// envelope offered by another peer, like one whose signature fails, gets
// no receipt: the caller resets the stream (errForged).
func (s *Service) checkOffered(remote peer.ID, envBytes []byte) (*Envelope, error) {
	env, err := s.checkIncoming(envBytes)
	if env != nil && env.SenderID() != remote {
		return env, fmt.Errorf("%w: %s offers a message signed as from %s", errForged, remote, env.SenderID())
	}
	return env, err
}

// refusal is the reply to an envelope checkOffered refused; nil means
// the stream is to be reset (no receipt for a forgery).
func (s *Service) refusal(remote peer.ID, env *Envelope, err error) *deliverReply {
	var rj *rejectError
	switch {
	case errors.Is(err, errForged):
		s.log.Warn("forged envelope: stream reset", "peer", remote, "err", err)
		return nil
	case errors.As(err, &rj):
		s.log.Warn("refused message", "peer", remote, "id", env.IDString(), "reason", rj.reason)
		return &deliverReply{Receipt: s.rejection(env, rj.reason)}
	}
	s.log.Warn("refused malformed envelope", "peer", remote, "err", err)
	return &deliverReply{Err: &wire.Error{Code: wire.CodeBadRequest, Message: err.Error()}}
}

// serveOffer handles one offered message; false means the stream is no
// longer usable.
func (s *Service) serveOffer(ctx context.Context, st network.Stream, r *wire.Reader, remote peer.ID, envBytes []byte) bool {
	env, err := s.checkOffered(remote, envBytes)
	if err != nil {
		rep := s.refusal(remote, env, err)
		return rep != nil && wire.WriteFrame(st, rep) == nil
	}
	id := env.IDString()
	if rec, ok := s.storedReceipt(ctx, env); ok {
		return wire.WriteFrame(st, &deliverReply{Done: true, Receipt: rec}) == nil
	}
	key := inKey(env)
	if !s.lock(key) {
		return wire.WriteFrame(st, &deliverReply{Err: &wire.Error{Code: codeBusy, Message: "message is being received on another stream"}}) == nil
	}
	defer s.unlock(key)
	if rec, ok := s.storedReceipt(ctx, env); ok { // stored by another stream meanwhile
		return wire.WriteFrame(st, &deliverReply{Done: true, Receipt: rec}) == nil
	}
	off := s.spool.partialSize(key, env.Size)
	if werr := s.roomForOffer(remote, key, env.Size, off); werr != nil {
		s.log.Warn("refused offer", "peer", remote, "id", id, "reason", werr.Message)
		return wire.WriteFrame(st, &deliverReply{Err: werr}) == nil
	}
	if err := wire.WriteFrame(st, &deliverReply{Offset: off}); err != nil {
		return false
	}
	sl, hdr, stage, err := s.receiveInbox(r, key, off, env)
	if err != nil && !errors.Is(err, errHashMismatch) {
		s.log.Info("deliver: transfer interrupted", "peer", remote, "id", id, "err", err)
		return false
	}
	if err == nil && hdr != nil {
		rec, err := s.storeReceived(ctx, env, envBytes, key, sl, hdr, stage, "")
		if err != nil {
			s.log.Error("store message", "id", id, "err", err)
			return wire.WriteFrame(st, &deliverReply{Err: &wire.Error{Code: wire.CodeInternal, Message: "could not store the message"}}) == nil
		}
		return wire.WriteFrame(st, &deliverReply{Receipt: rec}) == nil
	}
	return wire.WriteFrame(st, s.finishIncoming(ctx, remote, env, envBytes, sl, err)) == nil
}

// servePushes handles a batch of small messages sent whole: each is
// checked on its own, the accepted ones are stored in one transaction. A
// forged envelope in the batch makes it nil: the stream is reset.
func (s *Service) servePushes(ctx context.Context, remote peer.ID, items []pushItem) *deliverReply {
	if len(items) > maxBatchItems {
		return &deliverReply{Err: &wire.Error{Code: wire.CodeBadRequest, Message: "batch too large"}}
	}
	out := &deliverReply{Replies: make([]deliverReply, len(items))}
	prepared := make([]*incoming, len(items))
	var forged atomic.Bool
	// Checking signatures and opening payloads is CPU work: spread it.
	workers := min(runtime.GOMAXPROCS(0), 4, len(items))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(items) && !forged.Load(); i = int(next.Add(1) - 1) {
				rep, in := s.pushOne(ctx, remote, items[i])
				if rep == nil {
					forged.Store(true)
					continue
				}
				out.Replies[i], prepared[i] = *rep, in
			}
		}()
	}
	wg.Wait()
	var ready []*incoming
	var idx []int
	for i, in := range prepared {
		if in != nil {
			ready = append(ready, in)
			idx = append(idx, i)
		}
	}
	if forged.Load() {
		for _, in := range ready {
			s.releaseCiphertext(ctx, in.env.HashString())
		}
		return nil
	}
	if err := s.insertIncoming(ctx, ready, ""); err != nil {
		s.log.Error("store messages", "err", err)
		for _, i := range idx {
			out.Replies[i] = deliverReply{Err: &wire.Error{Code: wire.CodeInternal, Message: "could not store the message"}}
		}
		return out
	}
	for k, in := range ready {
		out.Replies[idx[k]] = deliverReply{Receipt: in.receipt}
	}
	return out
}

// pushOne checks one pushed message: a reply now (refusal, or the receipt
// of a message already held), or the message ready to store. A nil reply
// is a forgery.
func (s *Service) pushOne(ctx context.Context, remote peer.ID, it pushItem) (*deliverReply, *incoming) {
	env, err := s.checkOffered(remote, it.Envelope)
	if err != nil {
		return s.refusal(remote, env, err), nil
	}
	if rec, ok := s.storedReceipt(ctx, env); ok {
		return &deliverReply{Done: true, Receipt: rec}, nil
	}
	if env.Size > InlineMax || uint64(len(it.Data)) != env.Size {
		return &deliverReply{Err: &wire.Error{Code: wire.CodeBadRequest, Message: "a push carries the whole ciphertext of a small message"}}, nil
	}
	sl, err := s.spool.receive(bytes.NewReader(it.Data), "", 0, env.Size, env.Hash)
	if err != nil {
		s.log.Warn("refused tampered message", "peer", remote, "id", env.IDString(), "err", err)
		return &deliverReply{Receipt: s.rejection(env, err.Error())}, nil
	}
	in, err := s.prepareIncoming(ctx, env, it.Envelope, sl)
	if err != nil {
		var rj *rejectError
		if errors.As(err, &rj) {
			s.log.Warn("refused message", "peer", remote, "id", env.IDString(), "reason", rj.reason)
			return &deliverReply{Receipt: s.rejection(env, rj.reason)}, nil
		}
		return &deliverReply{Err: &wire.Error{Code: wire.CodeInternal, Message: "could not store the message"}}, nil
	}
	return &deliverReply{}, in
}

// finishIncoming stores a received ciphertext (recvErr: its hash check)
// and returns the reply carrying the signed receipt or rejection.
func (s *Service) finishIncoming(ctx context.Context, remote peer.ID, env *Envelope, envBytes []byte, sl sealed, recvErr error) *deliverReply {
	id := env.IDString()
	if recvErr != nil {
		s.log.Warn("refused tampered message", "peer", remote, "id", id, "err", recvErr)
		return &deliverReply{Receipt: s.rejection(env, recvErr.Error())}
	}
	rec, err := s.storeIncoming(ctx, env, envBytes, sl, "")
	if err != nil {
		var rj *rejectError
		if errors.As(err, &rj) {
			s.log.Warn("refused message", "peer", remote, "id", id, "reason", rj.reason)
			return &deliverReply{Receipt: s.rejection(env, rj.reason)}
		}
		s.log.Error("store message", "id", id, "err", err)
		return &deliverReply{Err: &wire.Error{Code: wire.CodeInternal, Message: "could not store the message"}}
	}
	return &deliverReply{Receipt: rec}
}

// acceptReceipt verifies a receipt addressed to this node and applies it
// to the outbox. relay is the peer that handed it over.
func (s *Service) acceptReceipt(ctx context.Context, b []byte, relay peer.ID) error {
	rec, err := s.checkReceipt(b)
	if err != nil {
		s.log.Warn("refused receipt", "relay", relay, "err", err)
		return err
	}
	return s.finishJob(ctx, rec)
}

// checkReceipt decodes a receipt addressed to this node and verifies it.
func (s *Service) checkReceipt(b []byte) (*Receipt, error) {
	rec, err := DecodeReceipt(b)
	if err != nil {
		return nil, err
	}
	if peer.ID(rec.To) != s.self {
		return nil, fmt.Errorf("receipt addressed to %s", peer.ID(rec.To))
	}
	if err := rec.Verify(); err != nil {
		return nil, err
	}
	return rec, nil
}

// deliverDirect hands jobs to their recipient p over one stream: small
// ones pipelined as pushes, large ones offered (resumable) one by one. It
// returns the jobs it could not settle (the connection failed).
func (s *Service) deliverDirect(ctx context.Context, p peer.ID, jobs []dueJob) ([]dueJob, error) {
	st, err := s.h.NewStream(network.WithAllowLimitedConn(ctx, "deliver"), p, p2p.ProtoDeliver)
	if err != nil {
		return jobs, fmt.Errorf("open deliver stream: %w", err)
	}
	defer st.Close()
	r := wire.NewReader(idleReader{st}, maxControlFrame)
	var small, large []dueJob
	for _, j := range jobs {
		if j.size <= InlineMax && j.inline != nil {
			small = append(small, j)
		} else {
			large = append(large, j)
		}
	}
	if left, err := s.pushAll(ctx, st, r, p, small); err != nil {
		_ = st.Reset()
		return append(left, large...), err
	}
	for i, j := range large {
		if err := s.offerOne(ctx, st, r, p, j); err != nil {
			_ = st.Reset()
			return large[i:], err
		}
	}
	return nil, nil
}

// pushAll sends small jobs in batches (frames of up to maxBatchItems),
// writing ahead while reading the replies, then applies the receipts in
// one transaction.
func (s *Service) pushAll(ctx context.Context, st network.Stream, r *wire.Reader, p peer.ID, jobs []dueJob) ([]dueJob, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	var batches [][]dueJob
	for start := 0; start < len(jobs); {
		end, size := start, 0
		for end < len(jobs) && end-start < maxBatchItems && (end == start || size+len(jobs[end].inline) <= maxBatchBytes) {
			size += len(jobs[end].inline) + len(jobs[end].envelope)
			end++
		}
		batches = append(batches, jobs[start:end])
		start = end
	}
	werr := make(chan error, 1)
	go func() {
		for _, b := range batches {
			req := deliverReq{Op: opPush, Items: make([]pushItem, len(b))}
			for i, j := range b {
				req.Items[i] = pushItem{Envelope: j.envelope, Data: j.inline}
			}
			if err := wire.WriteFrame(st, &req); err != nil {
				werr <- err
				return
			}
		}
		werr <- nil
	}()
	var recs []*Receipt
	var rerr error
	done := 0
	for _, b := range batches {
		var rep deliverReply
		if err := r.ReadFrame(&rep); err != nil {
			rerr = fmt.Errorf("read push reply: %w", err)
			break
		}
		if rep.Err != nil || len(rep.Replies) != len(b) {
			rerr = fmt.Errorf("recipient refused a batch: %v", rep.Err)
			break
		}
		done += len(b)
		for i, j := range b {
			rep := rep.Replies[i]
			switch {
			case rep.Err != nil && retryable(rep.Err.Code):
				s.attemptFailed(ctx, j, "recipient: "+rep.Err.Error())
			case rep.Err != nil:
				_ = s.setJobState(ctx, j.id, StateFailed, "direct", "refused by recipient: "+rep.Err.Error())
			default:
				rec, err := s.receiptFrom(rep.Receipt, p)
				if err != nil {
					s.attemptFailed(ctx, j, err.Error())
					continue
				}
				recs = append(recs, rec)
			}
		}
	}
	if rerr != nil {
		_ = st.Reset()
	}
	if err := <-werr; err != nil && rerr == nil {
		rerr = err
	}
	if err := s.applyReceipts(ctx, recs, "direct"); err != nil && rerr == nil {
		rerr = err
	}
	if rerr != nil {
		return jobs[done:], rerr
	}
	return nil, nil
}

func (s *Service) offerOne(ctx context.Context, st network.Stream, r *wire.Reader, p peer.ID, j dueJob) error {
	rep, err := ask[deliverReply](st, r, &deliverReq{Op: opOffer, Envelope: j.envelope})
	if err != nil {
		return fmt.Errorf("offer: %w", err)
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
		if retryable(rep.Err.Code) {
			s.attemptFailed(ctx, j, "recipient: "+rep.Err.Error())
			return nil
		}
		return s.setJobState(ctx, j.id, StateFailed, "direct", "refused by recipient: "+rep.Err.Error())
	}
	rec, err := s.receiptFrom(rep.Receipt, p)
	if err != nil {
		s.attemptFailed(ctx, j, err.Error())
		return nil
	}
	return s.applyReceipts(ctx, []*Receipt{rec}, "direct")
}

// retryable reports whether a recipient's refusal may pass (busy, an
// internal error, no space, over quota): the job is tried again later.
func retryable(code string) bool {
	switch code {
	case codeBusy, wire.CodeInternal, wire.CodeNoSpace, codeQuota:
		return true
	}
	return false
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

// receiptFrom decodes a receipt and checks it is signed by p (the recipient).
func (s *Service) receiptFrom(b []byte, p peer.ID) (*Receipt, error) {
	rec, err := DecodeReceipt(b)
	if err != nil {
		return nil, err
	}
	if peer.ID(rec.From) != p {
		return nil, fmt.Errorf("receipt signed by %s, not by the recipient", peer.ID(rec.From))
	}
	if err := rec.Verify(); err != nil {
		return nil, err
	}
	return rec, nil
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
	n, err := io.CopyBuffer(pw, io.LimitReader(rc, int64(j.size-off)), make([]byte, 256<<10))
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
