package p2p

import (
	"strings"
	"testing"
)

// A host:port given where a multiaddr is wanted is answered with its
// multiaddr forms.
func TestListenHint(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"127.0.0.1:42030", "/ip4/127.0.0.1/tcp/42030 (and /ip4/127.0.0.1/udp/42030/quic-v1 for QUIC)"},
		{"[::1]:4317", "/ip6/::1/tcp/4317"},
		{":4317", "/ip4/0.0.0.0/tcp/4317"},
		{"example.net:4317", "/dns/example.net/tcp/4317"},
		{"/ip4/127.0.0.1/tcp/x", ""},
		{"127.0.0.1:port", ""},
	} {
		got := listenHint(tc.in)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("listenHint(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	_, err := New(Config{ListenAddrs: []string{"127.0.0.1:42030"}})
	if err == nil || !strings.Contains(err.Error(), "/ip4/127.0.0.1/tcp/42030") {
		t.Fatalf("New with host:port: %v", err)
	}
}
