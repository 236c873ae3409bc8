package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/peerhood/peerhood/internal/wire"
)

func (s *Service) handleDeliver(st network.Stream) { serveRequests(s, st, "deliver", s.serveDeliver) }

// serveDeliver answers one /peerhood/deliver/1 request.
func (s *Service) serveDeliver(ctx context.Context, st network.Stream, r *wire.Reader, remote peer.ID, req *deliverReq) bool {
	switch req.Op {
	case opOffer:
		return s.serveOffer(ctx, st, r, remote, req.Envelope)
	case opLive:
		if s.cfg.noLiveServe {
			break
		}
		return s.serveLive(ctx, st, r, remote, req.Live)
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
	env, err := DecodeEnvelope(envBytes)
	if err == nil && env.SenderID() != remote { // cheap, before the signature
		return env, fmt.Errorf("%w: %s offers a message signed as from %s", errForged, remote, env.SenderID())
	}
	return s.checkIncoming(envBytes)
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
	if werr := s.roomForOffer(remote, key, env, off); werr != nil {
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
