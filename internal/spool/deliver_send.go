package spool

import (
	"context"
	"fmt"
	"io"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// deliverDirect hands jobs to their recipient p over one stream: small
// ones pipelined as pushes, large ones offered (resumable) one by one. It
// returns the jobs it could not settle (the connection failed).
func (s *Service) deliverDirect(ctx context.Context, p peer.ID, jobs []dueJob) ([]dueJob, error) {
	st, err := s.h.NewStream(network.WithAllowLimitedConn(ctx, "deliver"), p, p2p.ProtoDeliver)
	if err != nil {
		return jobs, fmt.Errorf("open deliver stream: %w", p2p.NoRoute(s.h.Peerstore(), p, err))
	}
	route := routeOf(st)
	ss := s.sendStream(ctx, st)
	defer ss.Close()
	r := wire.NewReader(ss, maxControlFrame)
	var small, large []dueJob
	for _, j := range jobs {
		if j.size <= InlineMax && j.inline != nil {
			small = append(small, j)
		} else {
			large = append(large, j)
		}
	}
	if left, err := s.pushAll(ctx, ss, r, p, small, route); err != nil {
		_ = ss.Reset()
		return append(left, large...), err
	}
	for i, j := range large {
		if err := s.offerOne(ctx, ss, r, p, j, route); err != nil {
			_ = ss.Reset()
			return large[i:], err
		}
	}
	return nil, nil
}

// pushAll sends small jobs in batches (frames of up to maxBatchItems),
// writing ahead while reading the replies, then applies the receipts in
// one transaction.
func (s *Service) pushAll(ctx context.Context, st *sendStream, r *wire.Reader, p peer.ID, jobs []dueJob, route string) ([]dueJob, error) {
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
		if err := st.readFrame(r, &rep); err != nil {
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
				_ = s.setJobState(ctx, j.id, StateFailed, route, "refused by recipient: "+rep.Err.Error())
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
	if err := s.applyReceipts(ctx, recs, route); err != nil && rerr == nil {
		rerr = err
	}
	if rerr != nil {
		return jobs[done:], rerr
	}
	return nil, nil
}

func (s *Service) offerOne(ctx context.Context, st *sendStream, r *wire.Reader, p peer.ID, j dueJob, route string) error {
	rep, err := askFrame[deliverReply](st, r, &deliverReq{Op: opOffer, Envelope: j.envelope})
	if err != nil {
		return fmt.Errorf("offer: %w", err)
	}
	if rep.Err == nil && rep.Receipt == nil {
		if err := s.sendCiphertext(st, j, rep.Offset); err != nil {
			return err
		}
		rep = deliverReply{}
		if err := st.readFrame(r, &rep); err != nil {
			return fmt.Errorf("read receipt: %w", err)
		}
	}
	return s.settleOffer(ctx, rep, p, j, route)
}

// settleOffer applies the recipient's last reply to an offer of j: a
// receipt, or a refusal (retried later when it may pass).
func (s *Service) settleOffer(ctx context.Context, rep deliverReply, p peer.ID, j dueJob, route string) error {
	if rep.Err != nil {
		if retryable(rep.Err.Code) {
			s.attemptFailed(ctx, j, "recipient: "+rep.Err.Error())
			return nil
		}
		return s.setJobState(ctx, j.id, StateFailed, route, "refused by recipient: "+rep.Err.Error())
	}
	rec, err := s.receiptFrom(rep.Receipt, p)
	if err != nil {
		s.attemptFailed(ctx, j, err.Error())
		return nil
	}
	return s.applyReceipts(ctx, []*Receipt{rec}, route)
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

// routeOf is a delivery's route as `queue` shows it: "direct", or
// "relayed" when the stream rides a circuit through a relay member.
func routeOf(st network.Stream) string {
	if p2p.LinkOf(st.Conn().RemoteMultiaddr()) == p2p.LinkRelayed {
		return "relayed"
	}
	return "direct"
}
