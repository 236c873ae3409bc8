package p2p

import (
	"fmt"
	"net"
	"strconv"

	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// checkPortFree binds a's port without SO_REUSEPORT and lets it go.
// libp2p's TCP transport sets SO_REUSEPORT (it dials from its listen port,
// which helps hole punching), so a second node on the same port would
// otherwise bind it too and share the traffic. A plain bind fails while
// any other socket holds the port, which is what we want to know.
func checkPortFree(a ma.Multiaddr) error {
	network, host, err := manet.DialArgs(a)
	if err != nil {
		return nil // not an IP address: nothing to check
	}
	_, port, err := net.SplitHostPort(host)
	if err != nil || port == "0" {
		return nil
	}
	if _, err := strconv.Atoi(port); err != nil {
		return nil
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
		l, err := net.Listen(network, host)
		if err != nil {
			return fmt.Errorf("bind %s: %w", host, err)
		}
		return l.Close()
	case "udp", "udp4", "udp6":
		c, err := net.ListenPacket(network, host)
		if err != nil {
			return fmt.Errorf("bind %s: %w", host, err)
		}
		return c.Close()
	}
	return nil
}
