package p2p

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
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

	// mu guards relay, autonat and reason; only run's goroutine writes
	// them. It is never held while the relay starts or stops: those
	// register and remove a swarm notifiee, which waits for the Connected
	// notifications under way (reachedFrom among them).
	mu      sync.Mutex
	relay   *relayv2.Relay
	autonat network.Reachability // AutoNAT v1's last verdict
	reason  string               // why the service runs or not
	// inbound: the last inbound connection that proves reachability
	// (Unix nanoseconds, 0: none). Atomic: reachedFrom runs inside the
	// swarm's Connected notification and takes no lock.
	inbound atomic.Int64
	kick    chan struct{} // asks run to update now
}

// inboundTrust is how long an inbound connection from a public address
// counts as evidence that this node is reachable.
const inboundTrust = time.Hour

// relayRecheck is how often the interface addresses are looked at again
// (an address can appear without an event: DHCP, a VPN coming up).
const relayRecheck = 30 * time.Second

// cgnat is the carrier-grade NAT range, which go-multiaddr counts as
// private.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// relayWanted decides whether to run the relay service; inbound tells
// that a peer on a public address opened a direct connection to this node
// lately (see reachedFrom). In order:
// --reachability forces it (public: yes, private: no); AutoNAT v1's
// verdict when it has one (public: yes; private: peers' dial-backs failed,
// the node is firewalled: no); otherwise an IPv4 address of this node's
// own interfaces that is public or carrier-grade NAT (100.64.0.0/10): a
// member that has one is a server or sits in a provider's network, where
// other members can usually dial it. IPv6 global addresses do not count:
// most homes have them behind a firewall that drops inbound connections
// (for those AutoNAT decides). Last, a recent inbound connection from a
// public address: a server behind a 1:1 NAT (most cloud machines) or a
// home router with a forwarded port has no public address of its own.
func relayWanted(force string, autonat network.Reachability, own []ma.Multiaddr, inbound bool) (bool, string) {
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
	if inbound {
		return true, "reached from a public address"
	}
	return false, "no public address, AutoNAT unknown"
}

// reachedFrom is told of every new connection. An inbound direct
// connection from a public address, to a peer this node has no other
// connection to, shows that the outside can reach this node. Not when
// the peer is also connected: a hole punch (over a relayed connection)
// opens inbound connections through a NAT, and so can a peer this node
// dialled from its listening UDP socket (the NAT's mapping to that peer
// is open).
func (s *relayService) reachedFrom(c network.Conn, others int) {
	if c.Stat().Direction != network.DirInbound || others > 0 ||
		LinkOf(c.RemoteMultiaddr()) != LinkDirect || !manet.IsPublicAddr(c.RemoteMultiaddr()) {
		return
	}
	s.inbound.Store(time.Now().UnixNano())
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// run follows AutoNAT and the node's addresses until ctx ends, then stops
// the service.
func (s *relayService) run(ctx context.Context) {
	// The relay finder runs beside the loop and is waited for after the
	// subscription is closed (defers run last first): it takes the event
	// bus's lock of EvtLocalReachabilityChanged (to make its emitter) and
	// emits that event, to this loop's subscription too, and an emitter
	// holds that lock while it waits for a full subscription. Run inline,
	// it waited for the lock held by an emitter that waited for this loop
	// (TestRelayToggleWhileReached).
	var finder sync.WaitGroup
	defer finder.Wait()
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
	finder.Go(s.startRelayFinder)
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
		case <-s.kick:
			s.update()
		}
	}
}

// startRelayFinder tells autorelay that reachability is unknown, which
// starts its search for relays at once. libp2p's AutoNAT v1 says nothing
// until its first verdict (15 s after start, more if no peer can be
// asked), and autorelay waits for it: home members took 17 to 23 s to
// reach each other through the public member instead of about 6.
// With --reachability the forced verdict is already out; a node that
// relays itself does not search.
func (s *relayService) startRelayFinder() {
	if s.force != ReachAuto {
		return
	}
	em, err := s.h.EventBus().Emitter(new(event.EvtLocalReachabilityChanged))
	if err != nil {
		s.log.Debug("relay finder: cannot emit reachability", "err", err)
		return
	}
	defer em.Close()
	s.mu.Lock()
	// A node that relays itself (a public address) need not look for
	// relays.
	search := s.autonat == network.ReachabilityUnknown && s.relay == nil
	s.mu.Unlock()
	if search {
		_ = em.Emit(event.EvtLocalReachabilityChanged{Reachability: network.ReachabilityUnknown})
	}
}

// update starts or stops the service as relayWanted says. The relay
// starts and stops outside mu (see relayService): holding it there while
// reachedFrom waited for it inside a Connected notification deadlocked
// the relay service and every later connection
// (TestRelayToggleWhileReached).
func (s *relayService) update() {
	own, _ := s.h.Network().InterfaceListenAddresses()
	last := s.inbound.Load()
	recent := last != 0 && time.Since(time.Unix(0, last)) < inboundTrust
	s.mu.Lock()
	want, why := relayWanted(s.force, s.autonat, own, recent)
	s.reason = why
	running := s.relay
	s.mu.Unlock()
	switch {
	case want && running == nil:
		r, err := relayv2.New(s.h, s.opts...)
		if err != nil {
			s.log.Warn("relay service: cannot start", "err", err)
			return
		}
		s.mu.Lock()
		s.relay = r
		s.mu.Unlock()
		s.log.Info("relay service on (members only)", "why", why)
	case !want && running != nil:
		s.mu.Lock()
		s.relay = nil
		s.mu.Unlock()
		_ = running.Close()
		s.log.Info("relay service off", "why", why)
	}
}

func (s *relayService) stop() {
	s.mu.Lock()
	r := s.relay
	s.relay = nil
	s.mu.Unlock()
	if r != nil {
		_ = r.Close()
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
