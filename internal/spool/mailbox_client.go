package spool

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// errNoSpace reports a mailbox that refused a deposit for lack of space.
var errNoSpace = errors.New("mailbox is full")

func (s *Service) mailboxStream(ctx context.Context, mb peer.ID) (*sendStream, *wire.Reader, error) {
	st, err := s.h.NewStream(network.WithAllowLimitedConn(ctx, "mailbox"), mb, p2p.ProtoMailbox)
	if err != nil {
		return nil, nil, fmt.Errorf("open mailbox stream: %w", err)
	}
	ss := s.sendStream(ctx, st)
	return ss, wire.NewReader(ss, maxListFrame), nil
}

// depositJobs leaves jobs with mailbox mb: small ones in batches, large
// ones one by one (resumable). It returns those it could not.
func (s *Service) depositJobs(ctx context.Context, mb peer.ID, mbName string, jobs []dueJob) ([]dueJob, error) {
	st, r, err := s.mailboxStream(ctx, mb)
	if err != nil {
		return jobs, err
	}
	defer st.Close()
	var small, large, left []dueJob
	for _, j := range jobs {
		if j.size <= InlineMax && j.inline != nil {
			small = append(small, j)
		} else {
			large = append(large, j)
		}
	}
	var lastErr error
	var kept []dueJob
	for start := 0; start < len(small); start += maxBatchItems {
		b := small[start:min(start+maxBatchItems, len(small))]
		req := mailboxReq{Op: opDeposit, Items: make([]pushItem, len(b))}
		for i, j := range b {
			req.Items[i] = pushItem{Envelope: j.envelope, Data: j.inline}
		}
		var rep mailboxReply
		err := wire.WriteFrame(st, &req)
		if err == nil {
			err = st.readFrame(r, &rep)
		}
		if err != nil {
			_ = st.Reset()
			s.markDeposited(ctx, kept, mbName)
			return append(append(left, small[start:]...), large...), err
		}
		if rep.Err != nil || len(rep.Replies) != len(b) {
			lastErr = fmt.Errorf("mailbox %s: %v", mbName, rep.Err)
			if rep.Err != nil && rep.Err.Code == wire.CodeNoSpace {
				lastErr = fmt.Errorf("mailbox %s: %w: %s", mbName, errNoSpace, rep.Err.Message)
			}
			left = append(left, b...)
			continue
		}
		for i, j := range b {
			if e := rep.Replies[i].Err; e != nil {
				lastErr = fmt.Errorf("mailbox %s: %w", mbName, e)
				left = append(left, j)
				continue
			}
			kept = append(kept, j)
		}
	}
	s.markDeposited(ctx, kept, mbName)
	for i, j := range large {
		rep, err := askFrame[mailboxReply](st, r, &mailboxReq{Op: opDeposit, Envelope: j.envelope})
		if err != nil {
			_ = st.Reset()
			return append(left, large[i:]...), err
		}
		if rep.Err == nil && !rep.Done {
			if err := s.sendCiphertext(st, j, rep.Offset); err != nil {
				_ = st.Reset()
				return append(left, large[i:]...), err
			}
			rep = mailboxReply{}
			if err := st.readFrame(r, &rep); err != nil {
				_ = st.Reset()
				return append(left, large[i:]...), err
			}
		}
		if rep.Err != nil {
			lastErr = fmt.Errorf("mailbox %s: %w", mbName, rep.Err)
			if rep.Err.Code == wire.CodeNoSpace {
				lastErr = fmt.Errorf("mailbox %s: %w: %s", mbName, errNoSpace, rep.Err.Message)
			}
			left = append(left, j)
			continue
		}
		s.markDeposited(ctx, []dueJob{j}, mbName)
	}
	return left, lastErr
}

// markDeposited records jobs a mailbox now holds.
func (s *Service) markDeposited(ctx context.Context, jobs []dueJob, mbName string) {
	if len(jobs) == 0 {
		return
	}
	next := nowMs() + s.cfg.RetryCap.Milliseconds()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, j := range jobs {
			s.setProgress(j.id, 0)
			if _, err := tx.ExecContext(ctx, `UPDATE spool_outbox SET state=?, route=?, next_try=?, last_error='', updated=?, attempts=attempts+1 WHERE id=? AND state=?`,
				StateDeposited, "mailbox:"+mbName, next, nowMs(), j.id, StateQueued); err != nil {
				return err
			}
		}
		return nil
	})
	s.dueChanged()
	if err != nil {
		s.log.Warn("record deposits", "err", err)
		return
	}
	for _, j := range jobs {
		s.noteJobs(ctx, j.id)
	}
	s.log.Info("deposited with mailbox", "jobs", len(jobs), "mailbox", mbName)
}

// depositReceipts leaves receipts for their addressees with mailbox mb.
func (s *Service) depositReceipts(ctx context.Context, mb peer.ID, recs [][]byte) error {
	st, r, err := s.mailboxStream(ctx, mb)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := askFrame[mailboxReply](st, r, &mailboxReq{Op: opDepositReceipt, Receipts: recs})
	if err != nil {
		return err
	}
	if rep.Err != nil {
		return rep.Err
	}
	return nil
}

// fetchFrom takes what waits for this node at mailbox mb: messages go to
// the inbox (their receipts back to the senders), receipts to the outbox;
// each is acknowledged so the mailbox deletes it. Every reply frame must
// arrive whole within frameWait (mailbox_fetch.go); ctx ending (Close)
// resets the stream, and so does a fetch that fails (the mailbox's
// handler ends too).
func (s *Service) fetchFrom(ctx context.Context, mb peer.ID) (ferr error) {
	st, r, err := s.mailboxStream(ctx, mb)
	if err != nil {
		return err
	}
	defer func() {
		if ferr != nil {
			_ = st.Reset()
		}
		_ = st.Close()
	}()
	defer context.AfterFunc(ctx, func() { _ = st.Reset() })()
	for {
		rep, err := askFrame[mailboxReply](st, r, &mailboxReq{Op: opList})
		if err != nil {
			return err
		}
		if rep.Err != nil {
			return rep.Err
		}
		if len(rep.Items) == 0 {
			return nil
		}
		acks, rest := s.takeSmall(ctx, mb, rep.Items)
		var takeErr error
		for _, it := range rest {
			done, err := s.takeItem(ctx, st, r, mb, it)
			if done {
				acks = append(acks, mailboxAck{Item: it.Item, ID: it.ID, Sender: it.Sender})
			}
			if err != nil {
				takeErr = err
				break
			}
		}
		if takeErr != nil {
			// The stream is broken: acknowledge on a fresh one.
			_ = st.Reset()
			if len(acks) > 0 {
				if err := s.ackFresh(ctx, mb, acks); err != nil {
					return err
				}
			}
			return takeErr
		}
		if len(acks) > 0 {
			if _, err := askFrame[mailboxReply](st, r, &mailboxReq{Op: opAck, Acks: acks}); err != nil {
				return err
			}
		}
		if len(acks) == 0 || len(rep.Items) < listLimit && len(rest) == 0 {
			return nil
		}
	}
}

// ackFresh acknowledges acks to mb on a new stream (the fetch's broke).
func (s *Service) ackFresh(ctx context.Context, mb peer.ID, acks []mailboxAck) error {
	st, r, err := s.mailboxStream(ctx, mb)
	if err != nil {
		return err
	}
	defer st.Close()
	defer context.AfterFunc(ctx, func() { _ = st.Reset() })()
	_, err = askFrame[mailboxReply](st, r, &mailboxReq{Op: opAck, Acks: acks})
	return err
}

// takeSmall stores the listed messages that came whole (small ones) in
// one transaction and handles receipts; it returns what may be
// acknowledged and the items still to fetch.
func (s *Service) takeSmall(ctx context.Context, mb peer.ID, items []mailboxItem) ([]mailboxAck, []mailboxItem) {
	var acks []mailboxAck
	var rest []mailboxItem
	var ready []*incoming
	var readyAcks []mailboxAck
	var recs []*Receipt
	for _, it := range items {
		ack := mailboxAck{Item: it.Item, ID: it.ID, Sender: it.Sender}
		if it.Item != itemMessage || it.Data == nil {
			if it.Item == itemMessage {
				rest = append(rest, it)
				continue
			}
			if it.Item == itemReceipt {
				if rec, err := s.checkReceipt(it.Blob); err != nil {
					s.log.Warn("dropped receipt from mailbox", "mailbox", mb, "err", err)
				} else {
					recs = append(recs, rec)
				}
			}
			acks = append(acks, ack)
			continue
		}
		env, err := s.checkIncoming(it.Blob)
		if err != nil || env.IDString() != it.ID || env.Size != uint64(len(it.Data)) {
			rest = append(rest, mailboxItem{Item: it.Item, ID: it.ID, Blob: it.Blob, Size: it.Size, Sender: it.Sender}) // the slow path reports it
			continue
		}
		if _, ok := s.storedReceipt(ctx, env); ok {
			acks = append(acks, ack)
			continue
		}
		sl, err := s.spool.receive(bytes.NewReader(it.Data), "", 0, env.Size, env.Hash)
		if err == nil {
			var in *incoming
			if in, err = s.prepareIncoming(ctx, env, it.Blob, sl); err == nil {
				ready = append(ready, in)
				readyAcks = append(readyAcks, ack)
				continue
			}
		}
		var rj *rejectError
		if errors.Is(err, errHashMismatch) || errors.As(err, &rj) {
			s.log.Warn("refused message held by mailbox", "mailbox", mb, "id", it.ID, "err", err)
			reason := err.Error()
			if rj != nil {
				reason = rj.reason
			}
			s.queueReceipt(ctx, it.ID, env.SenderID(), s.rejection(env, reason))
			acks = append(acks, ack)
		}
	}
	if err := s.applyReceipts(ctx, recs, ""); err != nil {
		s.log.Warn("apply receipts from mailbox", "mailbox", mb, "err", err)
	}
	if len(ready) > 0 {
		if err := s.insertIncoming(ctx, ready, mb); err != nil {
			s.log.Warn("store messages from mailbox", "mailbox", mb, "err", err)
			return acks, rest
		}
		acks = append(acks, readyAcks...)
	}
	return acks, rest
}

// takeItem handles one listed item; done means it may be acknowledged. An
// error means the stream is unusable.
func (s *Service) takeItem(ctx context.Context, st *sendStream, r *wire.Reader, mb peer.ID, it mailboxItem) (bool, error) {
	if it.Item == itemReceipt {
		if err := s.acceptReceipt(ctx, it.Blob, mb); err != nil {
			s.log.Warn("dropped receipt from mailbox", "mailbox", mb, "err", err)
		}
		return true, nil
	}
	if it.Item != itemMessage {
		return true, nil
	}
	env, err := s.checkIncoming(it.Blob)
	if err != nil {
		var rj *rejectError
		if errors.Is(err, errForged) {
			s.log.Warn("dropped forged envelope held by mailbox", "mailbox", mb, "err", err)
		} else if errors.As(err, &rj) {
			s.log.Warn("refused message held by mailbox", "mailbox", mb, "id", env.IDString(), "reason", rj.reason)
			s.queueReceipt(ctx, env.IDString(), env.SenderID(), s.rejection(env, rj.reason))
		} else {
			s.log.Warn("dropped malformed envelope held by mailbox", "mailbox", mb, "err", err)
		}
		return true, nil
	}
	id := env.IDString()
	if it.ID != id {
		s.log.Warn("mailbox lists a message under another ID", "mailbox", mb, "listed", it.ID, "id", id)
		return true, nil
	}
	if it.Sender != "" && it.Sender != env.SenderID().String() {
		s.log.Warn("mailbox lists a message under another sender", "mailbox", mb, "id", id, "listed", it.Sender)
		return true, nil
	}
	if _, ok := s.storedReceipt(ctx, env); ok {
		return true, nil // a second delivery: acknowledged, not stored again
	}
	key := inKey(env)
	if !s.lock(key) {
		return false, nil
	}
	defer s.unlock(key)
	if _, ok := s.storedReceipt(ctx, env); ok {
		return true, nil
	}
	off := s.spool.partialSize(key, env.Size)
	rep, err := askFrame[mailboxReply](st, r, &mailboxReq{Op: opGet, ID: id, Offset: off, Sender: env.SenderID().String()})
	if err != nil {
		return false, err
	}
	if rep.Err != nil {
		s.log.Info("mailbox could not hand over message", "mailbox", mb, "id", id, "err", rep.Err)
		return false, nil
	}
	if rep.Size != env.Size {
		return false, fmt.Errorf("mailbox holds %d bytes of %s, envelope says %d", rep.Size, id, env.Size)
	}
	sl, hdr, stage, err := s.receiveInbox(r, key, off, env)
	if errors.Is(err, errHashMismatch) {
		s.log.Warn("refused tampered message held by mailbox", "mailbox", mb, "id", id)
		s.queueReceipt(ctx, id, env.SenderID(), s.rejection(env, err.Error()))
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if _, err := s.storeReceived(ctx, env, it.Blob, key, sl, hdr, stage, mb); err != nil {
		var rj *rejectError
		if errors.As(err, &rj) {
			s.log.Warn("refused message held by mailbox", "mailbox", mb, "id", id, "reason", rj.reason)
			s.queueReceipt(ctx, id, env.SenderID(), s.rejection(env, rj.reason))
			return true, nil
		}
		return false, err
	}
	return true, nil
}
