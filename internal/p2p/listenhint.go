package p2p

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
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
