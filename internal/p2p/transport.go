package p2p

import (
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
)

// The node's transports, security and muxers are set in build.go
// (addTransports, NewUpgrader).

// YamuxMessage is the largest yamux frame a node sends (go-yamux's
// default is 64 KiB). Bigger frames mean fewer frames, hand-offs to the
// session's send loop and (with batchTLS) write syscalls per byte:
// bench/rawstream -transport peerhood, 1 GiB x 6 rounds interleaved,
// sender+receiver 1.67 CPU-s/GiB with 64 KiB, 1.52 with 256 KiB. What a
// small frame waits for behind a bulk stream is bounded by that
// stream's window (256 KiB to 16 MiB), not by the frame size. A peer
// accepts any frame its window allows, whatever its own setting.
const YamuxMessage = 256 << 10

// yamuxTransport is go-libp2p's yamux configuration with YamuxMessage.
// Stream windows stay as go-libp2p sets them: 256 KiB initial, growing
// to 16 MiB. A larger InitialStreamWindowSize bought no speed on
// loopback (docs/design/records/2026-11-30-s7-yamuxwin.md) and is unsafe: go-yamux reserves
// only 256 KiB with the resource manager when a stream opens but grants
// the whole initial window at once, so a peer could pin
// InitialStreamWindowSize per stream it never lets be read
// (TestUnreadStreamHoldsAtMostReservedWindow). Growth beyond 256 KiB is
// reserved first (priority 128) and happens only for a stream being read.
func yamuxTransport() *yamux.Transport {
	c := *yamux.DefaultTransport
	c.MaxMessageSize = YamuxMessage
	return &c
}
