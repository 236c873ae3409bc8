package chat

import (
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/workgroup"
)

// Access answers cached (doc.go, "Rooms").
//
// Every message received (push, gossip, history) and every push target
// asks whether a peer is a member of the workgroup and may enter the
// room: a roster lookup that builds a Member (~0.9 us, twice per
// message) and the room's allow list. admits caches the answer per
// (workgroup, log, peer), tagged with the roster's generation
// (workgroup.Roster.Generation, read before asking the roster) and the
// room's folded state (a new *roomState at every fold of the directory
// log): an entry is used only while both are the same, so a revocation,
// a certificate change, an expiry or a new allow list takes effect at
// the next check, as without the cache. A directory without a
// generation (tests' static directory) is not cached.

// maxAdmit bounds the cache (emptied when full: the keys are members of
// this node's workgroups and the rooms it keeps).
const maxAdmit = 4096

type admitKey struct {
	k logKey
	p peer.ID
}

type admitEntry struct {
	gen     uint64
	room    *roomState
	member  bool
	allowed bool
}

type admitCache struct {
	mu sync.Mutex
	m  map[admitKey]admitEntry
}

// dirGen is the directory's generation, ok false when it has none.
func (s *Service) dirGen() (uint64, bool) {
	g, ok := s.dir.(interface{ Generation() (uint64, bool) })
	if !ok {
		if r, ok := s.dir.(interface{ Generation() uint64 }); ok {
			return r.Generation(), true
		}
		return 0, false
	}
	return g.Generation()
}

// admits reports whether p is a member of k's workgroup now, and whether
// it may enter k's room (for the directory log "": whether it is a
// member).
func (s *Service) admits(k logKey, p peer.ID) (member, allowed bool) {
	gen, cached := s.dirGen() // before the answers it tags
	var r *roomState
	if k.log != "" {
		r = s.roomsOf(k.wg)[k.log]
	}
	return s.admitsIn(k, r, gen, cached, p)
}

// admitsIn is admits with k's room state r (nil for the directory log)
// and the directory's generation (dirGen, read before r) given: one
// message's fan-out asks for every peer with the same.
func (s *Service) admitsIn(k logKey, r *roomState, gen uint64, cached bool, p peer.ID) (member, allowed bool) {
	key := admitKey{k, p}
	if cached {
		s.admit.mu.Lock()
		e, ok := s.admit.m[key]
		s.admit.mu.Unlock()
		if ok && e.gen == gen && e.room == r {
			return e.member, e.allowed
		}
	}
	mem, member := s.dir.Member(k.wg, p)
	allowed = member && (k.log == "" || r != nil && allowedBy(r, p, func(peer.ID) (workgroup.Member, bool) { return mem, true }))
	if cached {
		s.admit.mu.Lock()
		if s.admit.m == nil || len(s.admit.m) >= maxAdmit {
			s.admit.m = make(map[admitKey]admitEntry)
		}
		s.admit.m[key] = admitEntry{gen: gen, room: r, member: member, allowed: allowed}
		s.admit.mu.Unlock()
	}
	return member, allowed
}
