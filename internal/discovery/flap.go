package discovery

import (
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// flapMin is how long a member's connection must have lived for its
// loss to be a plain drop (redial after a second). A connection that
// ends sooner was likely closed by the other end at once (its gate no
// longer admits this node, say): each such loss doubles the wait before
// the next dial, up to MaxBackoff, so a member that keeps refusing us is
// not redialled every second.
const flapMin = 10 * time.Second

// redialWait is how long to wait before redialling p after losing a
// connection opened at opened. s.mu is held.
func (s *Service) redialWait(p peer.ID, opened time.Time) time.Duration {
	if opened.IsZero() || time.Since(opened) >= flapMin {
		delete(s.flaps, p)
		return time.Second
	}
	w := min(max(2*s.flaps[p], time.Second), s.cfg.MaxBackoff)
	s.flaps[p] = w
	return w
}
