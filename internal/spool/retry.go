package spool

import (
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// retryState is the backoff of one peer that connects but does not
// serve: its fetches or deliveries fail (its gate closes the connection,
// it lost this node from its roster, it is shutting down). Every retry
// of such a peer waits backoff(RetryBase, RetryCap, fails), whatever
// brought the retry about: the fetch timer, or a new connection this
// node opened (without this, a connection that the other end closes at
// once asked for a fetch, the fetch dialled, and so on, ~100 times a
// second). A connection the peer opens to this node ends the wait (one
// try now): a mailbox back from a restart is fetched from at once.
type retryState struct {
	fails int
	until time.Time
}

// heldOff reports whether p is waiting out a backoff.
func (s *Service) heldOff(p peer.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.retry[p]
	return r != nil && time.Now().Before(r.until)
}

// servedFailed records a failed fetch from or delivery to p and returns
// how long p is now left alone.
func (s *Service) servedFailed(p peer.ID) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.retry[p]
	if r == nil {
		r = &retryState{}
		s.retry[p] = r
	}
	r.fails++
	d := backoff(s.cfg.RetryBase, s.cfg.RetryCap, r.fails)
	r.until = time.Now().Add(d)
	return d
}

// clearHold ends p's current wait (keeping its count of failures, so the
// next failure waits longer still).
func (s *Service) clearHold(p peer.ID) {
	s.mu.Lock()
	if r := s.retry[p]; r != nil {
		r.until = time.Time{}
	}
	s.mu.Unlock()
}

// served forgets p's backoff after a fetch or delivery that worked.
func (s *Service) served(p peer.ID) {
	s.mu.Lock()
	delete(s.retry, p)
	s.mu.Unlock()
}

// inWorkgroup reports whether this node is still a member of wg (not
// removed from it): nothing is fetched, delivered or dialled for a
// workgroup this node was removed from.
func (s *Service) inWorkgroup(wg string) bool {
	_, ok := s.dir.Self(wg)
	return ok
}
