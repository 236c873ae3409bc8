package p2p

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/host/autorelay"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	relayv2 "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
	"github.com/libp2p/go-libp2p/p2p/protocol/holepunch"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/prometheus/client_golang/prometheus"
)

// Reachability settings of Config.Reachability.
const (
	ReachAuto    = ""        // AutoNAT decides
	ReachPublic  = "public"  // the node is known to be reachable (runs the relay service at once)
	ReachPrivate = "private" // the node is known to sit behind a NAT (uses relays at once)
)

// RelaySource returns up to num relay candidates (members that may run
// the relay service). The discovery service installs it with
// SetRelaySource; until then autorelay finds no candidates.
type RelaySource func(ctx context.Context, num int) []peer.AddrInfo

// Relay figures: what this node gives to members as a relay.
const (
	// MaxRelayCircuits is how many relayed connections this node carries
	// at once, all members together (the resource manager counts the
	// relay's streams to circuit destinations: relayServiceLimits).
	MaxRelayCircuits = 32
	// RelayCircuitsPerPeer is how many of them may start or end at one
	// member.
	RelayCircuitsPerPeer = 8
	// RelayBuffer is the copy buffer of each direction of a circuit;
	// libp2p's 2 KiB made relayed bulk transfers CPU-bound.
	RelayBuffer = 64 << 10
)

// relayResources bound what this node gives to others as a relay: members
// relay for members only (the ACL asks the gate's RelayGate: strangers
// never, even while an invite is out or on probation), with few slots,
// so a publicly reachable laptop is not turned into a relay for the
// world. Since every circuit the ACL admits is member-to-member, libp2p's
// per-circuit cut (2 minutes, 128 KiB) is lifted: members' relayed links
// carry real traffic until a hole punch replaces them. Anyone else gets
// no circuit at all. The relay's own work stays bounded by
// MaxRelayCircuits at once (relayServiceLimits), RelayCircuitsPerPeer per
// member, and 2*RelayBuffer of memory per circuit.
func relayResources() relayv2.Resources {
	r := relayv2.DefaultResources()
	r.Limit = nil // member-to-member only (relayACL)
	r.MaxReservations = 64
	r.MaxCircuits = RelayCircuitsPerPeer
	r.MaxReservationsPerIP = 32
	r.BufferSize = RelayBuffer
	return r
}

// relayServiceLimits are the resource manager's limits of the relay
// service. Each circuit holds one inbound stream (from its source) and
// one outbound stream (to its destination) in the service; outbound
// streams exist for circuits only, so their count caps the circuits
// (the one over the cap is refused with RESOURCE_LIMIT_EXCEEDED).
// Inbound streams also carry short reservation requests.
func relayServiceLimits() rcmgr.ResourceLimits {
	return rcmgr.ResourceLimits{
		Streams:         rcmgr.LimitVal(2*MaxRelayCircuits + 64),
		StreamsInbound:  rcmgr.LimitVal(MaxRelayCircuits + 64),
		StreamsOutbound: rcmgr.LimitVal(MaxRelayCircuits),
	}
}

// relayACL asks the gate's RelayGate (members only, both ends of a
// circuit members of one workgroup). A gate without one (no workgroup
// layer yet) relays for no one: circuits here have no per-circuit limit,
// so only members may open them.
type relayACL struct{ g *gater }

func (a relayACL) AllowReserve(p peer.ID, _ ma.Multiaddr) bool {
	rg, ok := a.g.relayGate()
	return ok && rg.AllowReserve(p)
}

func (a relayACL) AllowConnect(src peer.ID, _ ma.Multiaddr, dst peer.ID) bool {
	rg, ok := a.g.relayGate()
	return ok && rg.AllowCircuit(src, dst)
}

// natParts sets the NAT traversal parts of a host: AutoNAT service, the
// relay transport, and autorelay fed by the discovery service's member
// list. The relay service is run by the host itself (relaysvc.go), hole
// punching too (punch.go).
func natParts(p *hostParts, cfg Config, src *atomic.Pointer[RelaySource]) error {
	source := func(ctx context.Context, num int) <-chan peer.AddrInfo {
		ch := make(chan peer.AddrInfo, num)
		go func() {
			defer close(ch)
			f := src.Load()
			if f == nil {
				return
			}
			for _, ai := range (*f)(ctx, num) {
				select {
				case ch <- ai:
				case <-ctx.Done():
					return
				}
			}
		}()
		return ch
	}
	p.relay, p.autonat = true, true
	p.arOpts = []autorelay.Option{
		autorelay.WithPeerSource(source),
		autorelay.WithMinInterval(3 * time.Second),
		autorelay.WithBootDelay(0),
		autorelay.WithNumRelays(2),
		autorelay.WithMinCandidates(1),
		autorelay.WithBackoff(30 * time.Second),
	}
	// Hole punching (DCUtR) is run by the host itself: see punch.go.
	switch cfg.Reachability {
	case ReachAuto:
	case ReachPublic:
		r := network.ReachabilityPublic
		p.reach = &r
	case ReachPrivate:
		r := network.ReachabilityPrivate
		p.reach = &r
	default:
		return fmt.Errorf("reachability %q: use public, private or leave it empty for automatic", cfg.Reachability)
	}
	return nil
}

// relayOptions configure the relay service (relaysvc.go); with reg, the
// service reports what it carries (libp2p_relaysvc_*: reservations,
// circuits opened and refused, their duration, bytes relayed).
func relayOptions(g *gater, reg prometheus.Registerer) []relayv2.Option {
	opts := []relayv2.Option{relayv2.WithResources(relayResources()), relayv2.WithACL(relayACL{g})}
	if reg != nil {
		opts = append(opts, relayv2.WithMetricsTracer(relayv2.NewMetricsTracer(relayv2.WithRegisterer(reg))))
	}
	return opts
}

// SetRelaySource installs the function autorelay asks for relay
// candidates.
func (h *Host) SetRelaySource(f RelaySource) { h.relaySrc.Store(&f) }

// holePunched remembers the connections that a successful DCUtR hole
// punch opened, so Peers and Link label those (and only those)
// "hole-punched": a later connection dialled directly to the same peer
// is "direct", and the label goes with the connection when it closes.
type holePunched struct {
	log   *slog.Logger
	net   atomic.Pointer[network.Network] // set once the host exists
	mu    sync.Mutex
	start map[peer.ID]time.Time    // punches under way
	conns map[network.Conn]peer.ID // connections a punch opened
}

func newHolePunched(log *slog.Logger) *holePunched {
	return &holePunched{log: log, start: map[peer.ID]time.Time{}, conns: map[network.Conn]peer.ID{}}
}

// punchSlack is how long before the start event a punched connection may
// have opened (the event is traced after the dials began).
const punchSlack = time.Second

// Trace implements holepunch.EventTracer.
func (hp *holePunched) Trace(evt *holepunch.Event) {
	if evt == nil {
		return
	}
	if hp.log != nil {
		hp.log.Debug("hole punch event", "type", evt.Type, "remote", evt.Remote, "evt", fmt.Sprintf("%+v", evt.Evt))
	}
	switch e := evt.Evt.(type) {
	case *holepunch.StartHolePunchEvt:
		hp.mu.Lock()
		hp.start[evt.Remote] = time.Now()
		hp.mu.Unlock()
	case *holepunch.EndHolePunchEvt:
		hp.mu.Lock()
		defer hp.mu.Unlock()
		began, ok := hp.start[evt.Remote]
		delete(hp.start, evt.Remote)
		if !ok {
			began = time.Now().Add(-time.Duration(e.EllapsedTime))
		}
		n := hp.net.Load()
		if !e.Success || n == nil {
			return
		}
		for _, c := range (*n).ConnsToPeer(evt.Remote) {
			if LinkOf(c.RemoteMultiaddr()) == LinkDirect && !c.Stat().Opened.Before(began.Add(-punchSlack)) {
				hp.conns[c] = evt.Remote
			}
		}
	}
}

// punched reports whether connection c was opened by a hole punch.
func (hp *holePunched) punched(c network.Conn) bool {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	_, ok := hp.conns[c]
	return ok
}

// closed forgets a connection that closed.
func (hp *holePunched) closed(c network.Conn) {
	hp.mu.Lock()
	delete(hp.conns, c)
	hp.mu.Unlock()
}

// linkOf is the label of connection c: relayed, hole-punched or direct.
func (h *Host) linkOf(c network.Conn) string {
	l := LinkOf(c.RemoteMultiaddr())
	if l == LinkDirect && h.hp.punched(c) {
		return LinkHolePunched
	}
	return l
}

// Measure pings p once (bounded by 5 s) and records its round-trip time,
// as Connect does; for connections services open themselves.
func (h *Host) Measure(ctx context.Context, p peer.ID) { h.measure(ctx, p) }
