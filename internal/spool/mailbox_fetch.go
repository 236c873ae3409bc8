package spool

import "github.com/libp2p/go-libp2p/core/peer"

// Fetches from mailboxes, one goroutine per mailbox
// (records/2026-12-01-s15-mboxfetch.md).
//
// All mailboxes used to be fetched from the fetch loop itself, one after
// the other: a mailbox member that listed slowly (a listing frame a byte
// a minute re-armed the idle deadline for good) or never finished a
// frame held the loop, and this node fetched from no other mailbox
// meanwhile. Now:
//
//   - every reply frame read while fetching (list, get, ack) must be
//     whole within frameWait (2 x the idle timeout) of when its reading
//     began (sendStream.readFrame), so a trickling mailbox is cut;
//   - the loop only starts fetches (startFetch): each mailbox gets its
//     own goroutine (in the service's bg group, so Close waits for it,
//     and Close resets its stream), at most one per mailbox; a fetch
//     asked for while one runs makes one more when it ends (none is
//     lost, as with notifies); at most maxFetching fetches run at once,
//     the others wait for a place (one goroutine per mailbox at most, so
//     the goroutines are bounded by the roster's mailbox members).
//
// Exactly-once is as before: a message is stored once by (sender, ID)
// whichever fetch brings it (FetchNow may run beside a background fetch
// of the same mailbox, as it always could), and a fetch cut mid-message
// keeps its partial file and acknowledges nothing it did not store, so
// the next fetch lists it again and resumes.

// maxFetching bounds the fetches from mailboxes under way at once.
const maxFetching = 8

// startFetch makes a fetch from mailbox mb on mb's own goroutine, or one
// more after the running one.
func (s *Service) startFetch(mb peer.ID) {
	s.mu.Lock()
	if _, running := s.fetching[mb]; running {
		s.fetching[mb] = true
		s.mu.Unlock()
		return
	}
	s.fetching[mb] = false
	s.mu.Unlock()
	if !s.bg.Go(func() { s.fetchRun(mb) }) {
		s.mu.Lock()
		delete(s.fetching, mb)
		s.mu.Unlock()
	}
}

// fetchRun fetches from mb, in a place of fetchSlots, until no fetch was
// asked for during the last one or the service closes.
func (s *Service) fetchRun(mb peer.ID) {
	for {
		select {
		case s.fetchSlots <- struct{}{}:
			s.fetchOne(s.life, mb)
			<-s.fetchSlots
		case <-s.life.Done():
		}
		s.mu.Lock()
		if !s.fetching[mb] || s.life.Err() != nil {
			delete(s.fetching, mb)
			s.mu.Unlock()
			return
		}
		s.fetching[mb] = false
		s.mu.Unlock()
	}
}
