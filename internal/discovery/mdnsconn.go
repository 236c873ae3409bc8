package discovery

import (
	"errors"
	"fmt"
	"net"
	"runtime"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// mDNS groups and port (RFC 6762).
var (
	mdnsGroup4 = &net.UDPAddr{IP: net.IPv4(224, 0, 0, 251), Port: 5353}
	mdnsGroup6 = &net.UDPAddr{IP: net.ParseIP("ff02::fb"), Port: 5353}
)

// mdnsConn is one mDNS socket (IPv4 or IPv6) on port 5353, shared with
// the other mDNS programs and peerhood nodes of the machine, joined to
// the group on every multicast interface that accepted the join.
type mdnsConn struct {
	family int // 4 or 6
	group  *net.UDPAddr
	ifaces []net.Interface
	close  func() error
	// read returns a packet, the index of the interface it arrived on
	// (0: unknown) and its source.
	read func(b []byte) (n, ifIndex int, src net.Addr, err error)
	// write sends b to dst out of interface ifIndex (0: the default).
	write func(b []byte, ifIndex int, dst net.Addr) error
}

// multicastInterfaces lists the interfaces that are up and carry
// multicast.
func multicastInterfaces() []net.Interface {
	all, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []net.Interface
	for _, i := range all {
		if i.Flags&net.FlagUp != 0 && i.Flags&net.FlagMulticast != 0 {
			out = append(out, i)
		}
	}
	return out
}

// errNoMulticast: no interface accepted the group join.
var errNoMulticast = errors.New("no multicast interface")

// listenMDNS4 opens the IPv4 socket. Go binds a multicast address as the
// wildcard with SO_REUSEADDR, so every node of the machine gets every
// packet.
func listenMDNS4(ifaces []net.Interface) (*mdnsConn, error) {
	uc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(224, 0, 0, 0), Port: 5353})
	if err != nil {
		return nil, fmt.Errorf("mdns udp4: %w", err)
	}
	p := ipv4.NewPacketConn(uc)
	_ = p.SetControlMessage(ipv4.FlagInterface, true)
	c := &mdnsConn{family: 4, group: mdnsGroup4, close: uc.Close}
	for _, i := range ifaces {
		if p.JoinGroup(&i, &net.UDPAddr{IP: mdnsGroup4.IP}) == nil {
			c.ifaces = append(c.ifaces, i)
		}
	}
	if len(c.ifaces) == 0 {
		_ = uc.Close()
		return nil, fmt.Errorf("mdns udp4: %w", errNoMulticast)
	}
	_ = p.SetMulticastTTL(255)
	_ = p.SetMulticastLoopback(true) // the other nodes of this machine
	c.read = func(b []byte) (int, int, net.Addr, error) {
		n, cm, src, err := p.ReadFrom(b)
		if cm != nil {
			return n, cm.IfIndex, src, err
		}
		return n, 0, src, err
	}
	c.write = func(b []byte, ifIndex int, dst net.Addr) error {
		var cm *ipv4.ControlMessage
		if ifIndex != 0 {
			if perPacketIf() {
				cm = &ipv4.ControlMessage{IfIndex: ifIndex}
			} else if i, err := net.InterfaceByIndex(ifIndex); err == nil {
				_ = p.SetMulticastInterface(i)
			}
		}
		_, err := p.WriteTo(b, cm, dst)
		return err
	}
	return c, nil
}

// listenMDNS6 opens the IPv6 socket (as listenMDNS4).
func listenMDNS6(ifaces []net.Interface) (*mdnsConn, error) {
	uc, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.ParseIP("ff02::"), Port: 5353})
	if err != nil {
		return nil, fmt.Errorf("mdns udp6: %w", err)
	}
	p := ipv6.NewPacketConn(uc)
	_ = p.SetControlMessage(ipv6.FlagInterface, true)
	c := &mdnsConn{family: 6, group: mdnsGroup6, close: uc.Close}
	for _, i := range ifaces {
		if p.JoinGroup(&i, &net.UDPAddr{IP: mdnsGroup6.IP}) == nil {
			c.ifaces = append(c.ifaces, i)
		}
	}
	if len(c.ifaces) == 0 {
		_ = uc.Close()
		return nil, fmt.Errorf("mdns udp6: %w", errNoMulticast)
	}
	_ = p.SetMulticastHopLimit(255)
	_ = p.SetMulticastLoopback(true)
	c.read = func(b []byte) (int, int, net.Addr, error) {
		n, cm, src, err := p.ReadFrom(b)
		if cm != nil {
			return n, cm.IfIndex, src, err
		}
		return n, 0, src, err
	}
	c.write = func(b []byte, ifIndex int, dst net.Addr) error {
		var cm *ipv6.ControlMessage
		if ifIndex != 0 {
			if perPacketIf() {
				cm = &ipv6.ControlMessage{IfIndex: ifIndex}
			} else if i, err := net.InterfaceByIndex(ifIndex); err == nil {
				_ = p.SetMulticastInterface(i)
			}
		}
		_, err := p.WriteTo(b, cm, dst)
		return err
	}
	return c, nil
}

// perPacketIf reports whether the outgoing interface can ride a control
// message (golang.org/x/net/ipv4's note: not on Windows).
func perPacketIf() bool {
	switch runtime.GOOS {
	case "linux", "darwin", "ios":
		return true
	}
	return false
}

// multicast sends b to the group out of interface ifIndex, or out of
// every joined interface when ifIndex is 0.
func (c *mdnsConn) multicast(b []byte, ifIndex int) error {
	if ifIndex != 0 {
		return c.write(b, ifIndex, c.group)
	}
	var first error
	for _, i := range c.ifaces {
		if err := c.write(b, i.Index, c.group); err != nil && first == nil {
			first = err
		}
	}
	return first
}
