package chat

import (
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// A sync of a log with a peer, asked for at time r, only has to compare
// the peer's heads at some time at or after r: it runs when a worker
// takes it, whenever that is. A peer that asks this node's heads sends
// its own along (histReq.Heads, Own set); when they show it has nothing this node
// lacks, that is such a comparison, made at the time it came, so a sync
// with that peer asked for at or before then is not run. At a room join
// every pair of members syncs twice each way (at the join and
// joinResync later); each side's request now often stands for the
// other's, as both are asked for at about the same time.
//
// told lives in Service.told (under mu); syncAsked holds the latest time
// each queued sync was asked for.

// toldKeep bounds the entries of told: older ones are dropped.
const toldKeep = time.Minute

// noteTold records, answering a heads request of p for log k that
// carried p's heads, whether p has nothing this node lacks.
func (s *Service) noteTold(k logKey, p peer.ID, mine map[peer.ID]uint64, theirs []head) {
	if s.anyAhead(k, mine, theirs) {
		return
	}
	s.mu.Lock()
	s.told[syncKey{k, p}] = time.Now()
	s.mu.Unlock()
}

// toldSinceAsked reports whether the peer of sk showed it had nothing
// new after the sync was last asked for (and forgets when it was asked).
func (s *Service) toldSinceAsked(sk syncKey) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	asked, ok := s.syncAsked[sk]
	delete(s.syncAsked, sk)
	told, tok := s.told[sk]
	return ok && tok && !told.Before(asked)
}

// pruneTold drops what is too old to count, under mu.
func (s *Service) pruneTold(now time.Time) {
	for sk, t := range s.told {
		if now.Sub(t) > toldKeep {
			delete(s.told, sk)
		}
	}
}
