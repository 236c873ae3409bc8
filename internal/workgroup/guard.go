package workgroup

import (
	"log/slog"

	"github.com/libp2p/go-libp2p/core/network"
)

// Guard wraps a stream handler so that it runs only for peers that are
// members of at least one workgroup this node is in. Streams from anyone
// else are reset before a byte is read.
func Guard(dir Directory, log *slog.Logger, h network.StreamHandler) network.StreamHandler {
	return func(s network.Stream) {
		p := s.Conn().RemotePeer()
		if len(dir.Memberships(p)) == 0 {
			if log != nil {
				log.Warn("refused stream from non-member", "peer", p, "protocol", s.Protocol())
			}
			_ = s.Reset()
			return
		}
		h(s)
	}
}
