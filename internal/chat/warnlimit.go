package chat

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Warnings about what a peer sent (a refused push frame, a stream that
// sent nothing in time, a fork) are rate-limited per peer: a hostile
// member can send them at wire speed, and one line per event would fill
// the log. At most one warning per peer every warnEvery; the next one
// says how many were left out. Bounded at warnPeers peers (older entries
// are dropped; when all are recent, the warning is left out).
const (
	warnEvery = 10 * time.Second
	warnPeers = 1024
)

type warnLimit struct {
	mu   sync.Mutex
	last map[peer.ID]*warnEntry
}

type warnEntry struct {
	at      time.Time
	dropped int
}

// allow reports whether a warning about p may be logged now, and how many
// were left out since the last one.
func (w *warnLimit) allow(p peer.ID, now time.Time) (bool, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == nil {
		w.last = map[peer.ID]*warnEntry{}
	}
	e := w.last[p]
	if e != nil && now.Sub(e.at) < warnEvery {
		e.dropped++
		return false, 0
	}
	if e == nil {
		if len(w.last) >= warnPeers {
			for k, x := range w.last {
				if now.Sub(x.at) >= warnEvery {
					delete(w.last, k)
				}
			}
		}
		if len(w.last) >= warnPeers {
			return false, 0
		}
		e = &warnEntry{}
		w.last[p] = e
	}
	n := e.dropped
	e.at, e.dropped = now, 0
	return true, n
}

// warnPeer logs a warning about what p sent, at most one per warnEvery.
func (s *Service) warnPeer(p peer.ID, msg string, args ...any) {
	ok, dropped := s.push.warn.allow(p, time.Now())
	if !ok {
		return
	}
	if dropped > 0 {
		args = append(args, "left_out", dropped)
	}
	s.log.Warn(msg, args...)
}
