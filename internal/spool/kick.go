package spool

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// A member that connects while a worker is busy with it (kicked). The
// loop skips a peer whose worker runs (sending), so onConnected's "due
// now" reached nobody, and a worker whose attempt was failing (its dial
// had just failed, it was depositing with a mailbox) then recorded the
// failure after onConnected had run: a backoff next_try and an
// unreachable mark, or a deposit the member had no reason to fetch yet.
// The message waited for the retry (up to RetryCap) or the member's next
// mailbox fetch (FetchInterval). Now peerUp (onConnected) marks a busy
// peer kicked. A worker takes the mark before recording a failed attempt and
// then tries again at once instead (the failed try still counts in the
// job's attempts), not through a mailbox; taken after the mailboxes
// were tried, the mark undoes the backoff and the unreachable mark and
// makes what a mailbox took due for direct delivery too; left when the
// worker ends (the connection came after its last look), the mark makes
// the peer's work due and wakes the loop for it. One mark is one more
// try: a peer that keeps failing gets no more tries than connections it
// makes. Guarded by Service.mu.

// failedAttempt records a failed direct attempt to p and goes to a
// mailbox, unless p connected meanwhile (kicked): then it reports true,
// and the worker tries again at once.
func (s *Service) failedAttempt(ctx context.Context, p peer.ID, jobs []dueJob, receipts []dueReceipt, reason string) bool {
	s.hookAt(p, atFailed)
	if s.takeKick(p) {
		// The try counts; the next one is now, not through a mailbox.
		s.recordFailed(ctx, jobs, reason, true)
		return true
	}
	s.mu.Lock()
	s.unreachable[p] = time.Now().Add(s.cfg.RetryBase)
	s.mu.Unlock()
	s.viaMailbox(ctx, p, jobs, receipts, reason)
	s.hookAt(p, atMailboxed)
	if s.takeKick(p) {
		// It connected while this node went to a mailbox: what the
		// mailbox took goes directly too (p may have fetched already).
		s.rekick(ctx, p)
		s.dueAgain(ctx, jobs)
		return true
	}
	s.hookAt(p, atLastLook)
	return false
}

// kickLocked marks p kicked if a worker is delivering to it; under s.mu.
func (s *Service) kickLocked(p peer.ID) {
	if s.sending[p] {
		s.kicked[p] = true
	}
}

// takeKick reports whether p connected since the last takeKick, and
// clears the mark.
func (s *Service) takeKick(p peer.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.kicked[p]
	delete(s.kicked, p)
	return k
}

// workerDone ends p's worker (ctx the loop's): p is no longer being sent
// to, and if it connected after the worker's last look its work is made
// due and the loop works for it now.
func (s *Service) workerDone(ctx context.Context, p peer.ID) {
	s.mu.Lock()
	delete(s.sending, p)
	k := s.kicked[p]
	delete(s.kicked, p)
	s.mu.Unlock()
	if !k {
		s.dueChanged() // its retries may be due before the horizon
		return
	}
	s.rekick(ctx, p)
	s.wakeFor(p)
}

// rekick undoes what a failed attempt set for p after p connected: its
// unreachable mark and the backoff of its queued jobs and receipts.
func (s *Service) rekick(ctx context.Context, p peer.ID) {
	s.mu.Lock()
	delete(s.unreachable, p)
	s.mu.Unlock()
	s.dueNow(ctx, p)
}

// dueNow makes p's queued jobs and its receipts due now (p connected),
// and its small jobs a mailbox holds (InlineMax at most, one push): p
// fetches from a mailbox when it connects to it, but it may not reach
// that mailbox (down, or a NAT between them), and the message would wait
// for its retry (RetryCap). The recipient stores a message once by
// (sender, ID) and acknowledges the mailbox's copy when it fetches it. A
// large one a mailbox holds waits for p's fetch (or its retry): offered
// again it could cross the same bytes fetched from the mailbox.
func (s *Service) dueNow(ctx context.Context, p peer.ID) {
	now := nowMs()
	_, _ = s.db.ExecContext(ctx, `UPDATE spool_outbox SET next_try=? WHERE recipient=? AND (state=? OR state=? AND size<=?) AND next_try>?`,
		now, p.String(), StateQueued, StateDeposited, InlineMax, now)
	_, _ = s.db.ExecContext(ctx, `UPDATE spool_receipts_out SET next_try=? WHERE to_peer=? AND next_try>?`, now, p.String(), now)
}

// dueAgain makes jobs a mailbox took in a kicked attempt due for direct
// delivery now. The recipient stores a message once by (sender, ID): a
// copy fetched from the mailbox later is acknowledged with the receipt
// of the first, and a receipt applies to a deposited job as to a queued
// one.
func (s *Service) dueAgain(ctx context.Context, jobs []dueJob) {
	now := nowMs()
	for _, j := range jobs {
		_, _ = s.db.ExecContext(ctx, `UPDATE spool_outbox SET next_try=? WHERE id=? AND state=?`, now, j.id, StateDeposited)
	}
}

// dialWait is one dial waiting for a peer (dial).
type dialWait struct{ cancel context.CancelFunc }

// dial connects to p (ctx bounds it) and returns as soon as p is
// connected, by this dial or any other. libp2p's dial returns only when
// its own addresses are done (then it hands back a connection that came
// meanwhile): a member back from a restart that connected to this node
// would otherwise wait while this node dials an address it no longer
// has, until the dial gives up (DialTimeout).
func (s *Service) dial(ctx context.Context, p peer.ID) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := &dialWait{cancel: cancel}
	s.mu.Lock()
	if s.dials[p] == nil {
		s.dials[p] = map[*dialWait]bool{}
	}
	s.dials[p][w] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.dials[p], w)
		if len(s.dials[p]) == 0 {
			delete(s.dials, p)
		}
		s.mu.Unlock()
	}()
	if s.h.Network().Connectedness(p) == network.Connected {
		return nil // it connected before this dial was registered
	}
	err := s.h.Host.Connect(ctx, peer.AddrInfo{ID: p})
	if err != nil && s.h.Network().Connectedness(p) == network.Connected {
		return nil // endDials: it connected meanwhile
	}
	return err
}

// endDials ends the dials waiting for p: it is connected (a connection
// that is not limited).
func (s *Service) endDials(p peer.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for w := range s.dials[p] {
		w.cancel()
	}
}

// hookPoint names where Config.workerAt runs (tests).
type hookPoint int

const (
	atFailed    hookPoint = iota // a worker's direct attempt failed, nothing recorded yet
	atMailboxed                  // the failure recorded and the mailboxes tried
	atLastLook                   // after the worker's last look for a kick
	atConnected                  // peerUp made the peer's work due (it connected, or serves now)
	atBusy                       // the loop skipped the peer: a worker is busy with it
)

func (s *Service) hookAt(p peer.ID, at hookPoint) {
	if s.cfg.workerAt != nil {
		s.cfg.workerAt(p, at)
	}
}
