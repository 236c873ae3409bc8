package p2p

import (
	"net"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// UsableAddrs keeps the addresses a member announced (in a presence
// heartbeat, identify, the DHT) that this node can use: an address of a
// narrower scope than the path between the two is another machine's
// loopback or a network this node is not on, and dialling it reaches
// nothing, or this node itself ("dial to self attempted").
//
// via is the address this node sees the member on (a direct
// connection's remote address; nil when not connected directly), own
// this node's interface addresses. With via, as libp2p's identify does:
// a member seen on loopback may use every address; one seen on a private
// address no loopback; one seen on a public address public addresses
// only. Without via: public addresses always; private ones when this
// node has a private address of its own; loopback ones when the member
// is on this machine (one of its other addresses is this node's, or it
// announced loopback only). Relay circuits are kept (their relay is
// judged when dialled).
func UsableAddrs(addrs []ma.Multiaddr, via ma.Multiaddr, own []ma.Multiaddr) []ma.Multiaddr {
	if via != nil && !isRelayed(via) {
		switch {
		case manet.IsIPLoopback(via):
			return addrs
		case manet.IsPublicAddr(via):
			return ma.FilterAddrs(addrs, func(a ma.Multiaddr) bool { return isRelayed(a) || manet.IsPublicAddr(a) })
		case manet.IsPrivateAddr(via):
			return ma.FilterAddrs(addrs, func(a ma.Multiaddr) bool { return isRelayed(a) || !manet.IsIPLoopback(a) })
		}
	}
	ownIPs := map[string]bool{}
	havePrivate := false
	for _, a := range own {
		ip, err := manet.ToIP(a)
		if err != nil {
			continue
		}
		ownIPs[ip.String()] = true
		if !ip.IsLoopback() && manet.IsPrivateAddr(a) {
			havePrivate = true
		}
	}
	sameHost, nonLoopback := false, false
	for _, a := range addrs {
		ip, err := manet.ToIP(a)
		if err != nil || isRelayed(a) || ip.IsLoopback() {
			continue
		}
		nonLoopback = true
		if ownIPs[ip.String()] && !ip.Equal(net.IPv4zero) {
			sameHost = true
		}
	}
	return ma.FilterAddrs(addrs, func(a ma.Multiaddr) bool {
		switch {
		case isRelayed(a), manet.IsPublicAddr(a):
			return true
		case manet.IsIPLoopback(a):
			return sameHost || !nonLoopback
		case manet.IsPrivateAddr(a):
			return havePrivate
		}
		return false // unspecified, link-local without a zone, discard ranges
	})
}

// UsableFrom is UsableAddrs for member p's announced addresses, judged by
// the direct connection this node has to p (if any) and this node's
// interface addresses.
func (h *Host) UsableFrom(p peer.ID, addrs []ma.Multiaddr) []ma.Multiaddr {
	var via ma.Multiaddr
	for _, c := range h.Network().ConnsToPeer(p) {
		if a := c.RemoteMultiaddr(); !isRelayed(a) {
			via = a
			break
		}
	}
	own, _ := h.Network().InterfaceListenAddresses()
	return UsableAddrs(addrs, via, own)
}
