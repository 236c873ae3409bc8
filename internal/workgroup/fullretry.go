package workgroup

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// A roster update this node could not store because its disk was full
// (store.IsFull) is asked for again soon, not only at the next periodic
// sync (SyncInterval, 30 s): fullRetry after the refusal, then twice as
// long each time up to fullRetryMax, one roster sync with every
// connected member of the workgroup, until one round stores without a
// full disk. A round on a still-full disk costs one exchange of hashes
// per member and the log line of the refused store.
const (
	fullRetry    = time.Second
	fullRetryMax = 8 * time.Second
)

// fullMissed is the workgroups whose roster update a full disk refused
// (set by merge), with a retry loop running for each.
type fullMissed struct {
	mu       sync.Mutex
	missed   map[string]bool // refused since the loop's last round began
	retrying map[string]bool
}

// missedOnFullDisk records that a roster update of wg was refused by a
// full disk and starts wg's retry loop unless one runs.
func (s *Service) missedOnFullDisk(wg string) {
	f := &s.full
	f.mu.Lock()
	if f.missed == nil {
		f.missed, f.retrying = map[string]bool{}, map[string]bool{}
	}
	f.missed[wg] = true
	start := !f.retrying[wg]
	f.retrying[wg] = true
	f.mu.Unlock()
	if start && !s.bg.Go(func() { s.retryFull(wg) }) {
		f.mu.Lock()
		delete(f.retrying, wg)
		f.mu.Unlock()
	}
}

// retryFull runs rounds of roster syncs of wg until one stores what it
// received (or nothing was refused) or the service closes.
func (s *Service) retryFull(wg string) {
	f := &s.full
	defer func() {
		f.mu.Lock()
		delete(f.retrying, wg)
		f.mu.Unlock()
	}()
	wait := fullRetry
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(wait):
		}
		f.mu.Lock()
		f.missed[wg] = false
		f.mu.Unlock()
		s.syncConnected(wg)
		f.mu.Lock()
		done := !f.missed[wg]
		if done {
			delete(f.missed, wg)
		}
		f.mu.Unlock()
		if done {
			s.log.Info("roster update stored after a full disk", "workgroup", wg)
			return
		}
		wait = min(2*wait, fullRetryMax)
	}
}

// syncConnected runs one roster sync of wg with every connected member
// of wg (announceSyncs at a time) and returns when all ended.
func (s *Service) syncConnected(wg string) {
	var ps []peer.ID
	for _, p := range s.host.Network().Peers() {
		if _, ok := s.roster.Member(wg, p); ok {
			ps = append(ps, p)
		}
	}
	s.syncWithAll(wg, ps)
}

// syncWithAll runs one roster sync of wg with each of ps (announceSyncs
// at a time) and returns when all ended.
func (s *Service) syncWithAll(wg string, ps []peer.ID) {
	sem := make(chan struct{}, announceSyncs)
	var wait sync.WaitGroup
	for _, p := range ps {
		sem <- struct{}{}
		wait.Add(1)
		go func() {
			defer func() { <-sem; wait.Done() }()
			s.syncRetry(p, wg)
		}()
	}
	wait.Wait()
}
