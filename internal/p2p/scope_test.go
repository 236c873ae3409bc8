package p2p

import (
	"testing"

	ma "github.com/multiformats/go-multiaddr"
)

func addrList(ss ...string) []ma.Multiaddr {
	out := make([]ma.Multiaddr, 0, len(ss))
	for _, s := range ss {
		out = append(out, ma.StringCast(s))
	}
	return out
}

// Another machine's loopback and networks this node is not on are not
// used; a member on this machine keeps its loopback addresses.
func TestUsableAddrs(t *testing.T) {
	const (
		lo     = "/ip4/127.0.0.1/tcp/4317"
		lan    = "/ip4/192.168.1.20/tcp/4317"
		pub    = "/ip4/11.0.0.5/udp/4317/quic-v1"
		relay  = "/ip4/11.0.0.9/tcp/4317/p2p/12D3KooWGFCxJetf4wT75X8PWTLMFPBXyD8X6aQLuFdzZfNMcYjs/p2p-circuit"
		ownLan = "/ip4/192.168.1.7/tcp/4317"
	)
	announced := addrList(lo, lan, pub, relay)
	for _, tc := range []struct {
		name string
		via  string
		own  []string
		want []string
	}{
		{"seen on loopback", lo, nil, []string{lo, lan, pub, relay}},
		{"seen on the LAN", "/ip4/192.168.1.20/tcp/5000", nil, []string{lan, pub, relay}},
		{"seen on a public address", "/ip4/11.0.0.5/udp/4317/quic-v1", nil, []string{pub, relay}},
		{"not connected, home node", "", []string{"/ip4/127.0.0.1/tcp/1", ownLan}, []string{lan, pub, relay}},
		{"not connected, public node", "", []string{"/ip4/127.0.0.1/tcp/1", "/ip4/11.0.0.1/tcp/1"}, []string{pub, relay}},
		{"not connected, same machine", "", []string{"/ip4/127.0.0.1/tcp/1", "/ip4/192.168.1.20/tcp/1"}, []string{lo, lan, pub, relay}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var via ma.Multiaddr
			if tc.via != "" {
				via = ma.StringCast(tc.via)
			}
			got := UsableAddrs(announced, via, addrList(tc.own...))
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i].String() != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
	// A member on loopback only (tests, one machine) keeps them.
	if got := UsableAddrs(addrList(lo), nil, addrList(ownLan)); len(got) != 1 {
		t.Fatalf("loopback-only member: %v", got)
	}
}
