package p2p

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	relayv2 "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// relayService runs the circuit relay service (members only: relayACL)
// while this node is likely reachable from outside. libp2p's own relay
// manager (libp2p.EnableRelayService) starts the service only when AutoNAT
// v1 says the node is public, and AutoNAT v1 asks only peers that show a
// public address other than the node's own: in the common workgroup (one
// member on a public address, the others at home behind NATs) nobody ever
// asks for the public member, it stays "unknown", never relays, and the
// home members never reach each other. See relayWanted for the rule.
type relayService struct {
	h     host.Host
	opts  []relayv2.Option
	force string // Config.Reachability
	log   *slog.Logger

	mu      sync.Mutex
	relay   *relayv2.Relay
	autonat network.Reachability // AutoNAT v1's last verdict
	reason  string               // why the service runs or not
}

// relayRecheck is how often the interface addresses are looked at again
// (an address can appear without an event: DHCP, a VPN coming up).
const relayRecheck = 30 * time.Second

// cgnat is the carrier-grade NAT range, which go-multiaddr counts as
// private.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// relayWanted decides whether to run the relay service. In order:
// --reachability forces it (public: yes, private: no); AutoNAT v1's
// verdict when it has one (public: yes; private: peers' dial-backs failed,
// the node is firewalled: no); otherwise an IPv4 address of this node's
// own interfaces that is public or carrier-grade NAT (100.64.0.0/10): a
// member that has one is a server or sits in a provider's network, where
// other members can usually dial it. IPv6 global addresses do not count:
// most homes have them behind a firewall that drops inbound connections
// (for those AutoNAT decides).
func relayWanted(force string, autonat network.Reachability, own []ma.Multiaddr) (bool, string) {
	switch force {
	case ReachPublic:
		return true, "reachability forced public"
	case ReachPrivate:
		return false, "reachability forced private"
	}
	switch autonat {
	case network.ReachabilityPublic:
		return true, "AutoNAT: public"
	case network.ReachabilityPrivate:
		return false, "AutoNAT: private"
	}
	for _, a := range own {
		ip, err := manet.ToIP(a)
		if err != nil || ip.To4() == nil {
			continue
		}
		addr, ok := netip.AddrFromSlice(ip.To4())
		if !ok {
			continue
		}
		if cgnat.Contains(addr) {
			return true, "carrier-grade NAT address " + addr.String()
		}
		if manet.IsPublicAddr(a) {
			return true, "public address " + addr.String()
		}
	}
	return false, "no public address, AutoNAT unknown"
}

// run follows AutoNAT and the node's addresses until ctx ends, then stops
// the service.
func (s *relayService) run(ctx context.Context) {
	sub, err := s.h.EventBus().Subscribe([]any{new(event.EvtLocalReachabilityChanged), new(event.EvtLocalAddressesUpdated)})
	if err != nil {
		s.log.Warn("relay service: cannot follow reachability; relaying only if forced", "err", err)
	}
	var events <-chan any
	if sub != nil {
		defer sub.Close()
		events = sub.Out()
	}
	t := time.NewTicker(relayRecheck)
	defer t.Stop()
	defer s.stop()
	s.update()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if r, ok := ev.(event.EvtLocalReachabilityChanged); ok {
				s.mu.Lock()
				s.autonat = r.Reachability
				s.mu.Unlock()
			}
			s.update()
		case <-t.C:
			s.update()
		}
	}
}

// update starts or stops the service as relayWanted says.
func (s *relayService) update() {
	own, _ := s.h.Network().InterfaceListenAddresses()
	s.mu.Lock()
	defer s.mu.Unlock()
	want, why := relayWanted(s.force, s.autonat, own)
	s.reason = why
	switch {
	case want && s.relay == nil:
		r, err := relayv2.New(s.h, s.opts...)
		if err != nil {
			s.log.Warn("relay service: cannot start", "err", err)
			return
		}
		s.relay = r
		s.log.Info("relay service on (members only)", "why", why)
	case !want && s.relay != nil:
		_ = s.relay.Close()
		s.relay = nil
		s.log.Info("relay service off", "why", why)
	}
}

func (s *relayService) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.relay != nil {
		_ = s.relay.Close()
		s.relay = nil
	}
}

// serving reports whether the relay service runs, and why (or why not).
func (s *relayService) serving() (bool, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.relay != nil, s.reason
}

// RelayService reports whether this node relays for members now, and why
// (or why not).
func (h *Host) RelayService() (bool, string) { return h.relaySvc.serving() }
