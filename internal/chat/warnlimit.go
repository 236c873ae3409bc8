package chat

import (
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
)

// warnLimit rate-limits the warnings a peer can trigger at wire speed (a
// refused push frame, a stalled stream, a fork): p2p.WarnLimit.
type warnLimit = p2p.WarnLimit

// warnPeer logs a warning about what p sent, at most one per p2p.WarnEvery.
func (s *Service) warnPeer(p peer.ID, msg string, args ...any) {
	ok, dropped := s.push.warn.Allow(p, time.Now())
	if !ok {
		return
	}
	if dropped > 0 {
		args = append(args, "left_out", dropped)
	}
	s.log.Warn(msg, args...)
}
