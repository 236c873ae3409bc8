package p2p

import (
	"testing"
	"time"

	ma "github.com/multiformats/go-multiaddr"
)

// LAN (and loopback) peers are dialled TCP first; peers with public
// addresses only are dialled QUIC first, so a NATed node learns its
// external QUIC address (needed to hole punch).
func TestTCPFirstRanker(t *testing.T) {
	t.Parallel()
	delays := func(addrs ...string) map[string]time.Duration {
		var in []ma.Multiaddr
		for _, a := range addrs {
			in = append(in, ma.StringCast(a))
		}
		out := map[string]time.Duration{}
		for _, ad := range tcpFirstRanker(in) {
			out[ad.Addr.String()] = ad.Delay
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		tcp, quic string
		tcpFirst  bool
	}{
		{"lan", "/ip4/192.168.1.5/tcp/4317", "/ip4/192.168.1.5/udp/4317/quic-v1", true},
		{"loopback", "/ip4/127.0.0.1/tcp/4317", "/ip4/127.0.0.1/udp/4317/quic-v1", true},
		{"public", "/ip4/11.77.100.10/tcp/4317", "/ip4/11.77.100.10/udp/4317/quic-v1", false},
	} {
		d := delays(tc.tcp, tc.quic)
		if tc.tcpFirst && (d[tc.tcp] != 0 || d[tc.quic] < quicDelay) {
			t.Errorf("%s: want TCP first, got %v", tc.name, d)
		}
		if !tc.tcpFirst && (d[tc.quic] != 0 || d[tc.tcp] <= 0) {
			t.Errorf("%s: want QUIC first, got %v", tc.name, d)
		}
	}
}
