package workgroup

import (
	"log/slog"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/p2p"
)

// Guard wraps a stream handler so that it runs only for peers that are
// members of at least one workgroup this node is in. Streams from anyone
// else are reset before a byte is read. The warning about a refused
// stream is logged at most once per peer every p2p.WarnEvery (with how
// many were left out): a non-member can open streams at its connection's
// rate, and one line each would fill the log.
func Guard(dir Directory, log *slog.Logger, h network.StreamHandler) network.StreamHandler {
	var warn p2p.WarnLimit
	return func(s network.Stream) {
		p := s.Conn().RemotePeer()
		if len(dir.Memberships(p)) == 0 {
			if log != nil {
				if ok, leftOut := warn.Allow(p, time.Now()); ok {
					args := []any{"peer", p, "protocol", s.Protocol()}
					if leftOut > 0 {
						args = append(args, "left_out", leftOut)
					}
					log.Warn("refused stream from non-member", args...)
				}
			}
			_ = s.Reset()
			return
		}
		h(s)
	}
}
