package p2p

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"
)

// TestMeasureOverYamuxOpensNoStream: the RTT of a peer connected over
// TCP (yamux) is measured with a yamux ping frame, so the peer serves no
// /ipfs/ping/1.0.0 stream; over QUIC (no yamux) the ping protocol is
// still used. Either way the RTT is recorded.
func TestMeasureOverYamuxOpensNoStream(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		addr        string
		wantStreams int64
	}{
		{"tcp: yamux ping", "/ip4/127.0.0.1/tcp/0", 0},
		{"quic: ping protocol", "/ip4/127.0.0.1/udp/0/quic-v1", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := newTestHost(t, tc.addr), newTestHost(t, tc.addr)
			var served atomic.Int64
			b.SetStreamHandler(ping.ID, func(s network.Stream) {
				served.Add(1)
				s.Reset()
			})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := a.Connect(ctx, b.Addrs()[0]); err != nil {
				t.Fatal(err)
			}
			// Connect measured once (its goroutine may still run): count
			// from a fresh start.
			time.Sleep(200 * time.Millisecond)
			served.Store(0)
			b.SetStreamHandler(ping.ID, func(s network.Stream) {
				served.Add(1)
				ping.NewPingService(b.Host).PingHandler(s)
			})
			a.rtt.forget(b.ID(), func() bool { return true })
			a.measure(ctx, b.ID())
			if got := a.RTT(b.ID()); got <= 0 {
				t.Fatalf("rtt not measured: %v", got)
			}
			if got := served.Load(); got != tc.wantStreams {
				t.Fatalf("ping streams served by the peer: %d, want %d", got, tc.wantStreams)
			}
		})
	}
}
