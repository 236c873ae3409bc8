package p2p

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"

	ma "github.com/multiformats/go-multiaddr"
)

// listenHint is what to say of a listen address that is not a
// multiaddr but looks like host:port (as most programs take it):
// the multiaddr forms of the same address, TCP and QUIC; "" otherwise.
func listenHint(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return ""
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return ""
	}
	proto := "dns"
	if host == "" {
		host, proto = "0.0.0.0", "ip4"
	} else if ip, err := netip.ParseAddr(host); err == nil {
		proto = "ip4"
		if ip.Is6() {
			proto = "ip6"
		}
	}
	return fmt.Sprintf("write it as a multiaddr: /%s/%s/tcp/%s (and /%s/%s/udp/%s/quic-v1 for QUIC)", proto, host, port, proto, host, port)
}

// parseListenAddrs reads the listen addresses, with a hint for one that is
// written as host:port or a URL rather than a multiaddr.
func parseListenAddrs(ss []string) ([]ma.Multiaddr, error) {
	addrs := make([]ma.Multiaddr, 0, len(ss))
	for _, s := range ss {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			if hint := listenHint(s); hint != "" {
				return nil, fmt.Errorf("listen address %q is not a multiaddr: %s", s, hint)
			}
			return nil, fmt.Errorf("listen address %q: %w", s, err)
		}
		addrs = append(addrs, a)
	}
	return addrs, nil
}
