package p2p

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Warnings about what a peer sent (a refused stream, a refused frame, a
// stream that sent nothing in time, a fork) are rate-limited per peer: a
// hostile peer can cause them at wire speed, and one line per event would
// fill the log. WarnLimit allows at most one warning per peer every
// WarnEvery; the next one says how many were left out. It remembers at
// most WarnPeers peers (older entries are dropped; when all are recent,
// the warning is left out). The zero value is ready to use.
const (
	WarnEvery = 10 * time.Second
	WarnPeers = 1024
)

type WarnLimit struct {
	mu   sync.Mutex
	last map[peer.ID]*warnEntry
}

type warnEntry struct {
	at      time.Time
	dropped int
}

// Allow reports whether a warning about p may be logged now, and how many
// were left out since the last one.
func (w *WarnLimit) Allow(p peer.ID, now time.Time) (bool, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == nil {
		w.last = map[peer.ID]*warnEntry{}
	}
	e := w.last[p]
	if e != nil && now.Sub(e.at) < WarnEvery {
		e.dropped++
		return false, 0
	}
	if e == nil {
		if len(w.last) >= WarnPeers {
			for k, x := range w.last {
				if now.Sub(x.at) >= WarnEvery {
					delete(w.last, k)
				}
			}
		}
		if len(w.last) >= WarnPeers {
			return false, 0
		}
		e = &warnEntry{}
		w.last[p] = e
	}
	n := e.dropped
	e.at, e.dropped = now, 0
	return true, n
}
