package p2p

import (
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	noise "github.com/libp2p/go-libp2p/p2p/security/noise"
	libp2ptls "github.com/libp2p/go-libp2p/p2p/security/tls"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
)

// TransportOptions are the libp2p options of a node's transports:
// TCP (preferred, see tcpFirstRanker: bulk over QUIC costs ~3x the CPU
// here) and QUIC, TLS (batchTLS: fewer syscalls, libp2p's protocol) then
// Noise, and the muxers. bench/rawstream -transport peerhood uses them
// to measure the bare stream a tunnel or a transfer rides on.
func TransportOptions() []libp2p.Option {
	return []libp2p.Option{
		libp2p.Security(libp2ptls.ID, newBatchTLS),
		libp2p.Security(noise.ID, noise.New),
		// TCP dials leave from an ephemeral port, not the listen port:
		// with SO_REUSEPORT two members that dial each other at once (both
		// found the other by mDNS or in the DHT) made one TCP connection by
		// simultaneous open that both ends took for their own dial, and its
		// security handshake hung until it timed out (measured: most dials
		// of a 50-member mesh failed so). Hole punching still works over
		// QUIC, whose dials share the listening UDP socket.
		libp2p.Transport(tcp.NewTCPTransport, tcp.DisableReuseport()),
		libp2p.Transport(quic.NewTransport),
		libp2p.Muxer(yamux.ID, yamuxTransport()),
	}
}

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
func yamuxTransport() *yamux.Transport {
	c := *yamux.DefaultTransport
	c.MaxMessageSize = YamuxMessage
	return &c
}
