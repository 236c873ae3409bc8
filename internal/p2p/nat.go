package p2p

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/host/autorelay"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	relayv2 "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
	"github.com/libp2p/go-libp2p/p2p/protocol/holepunch"
	ma "github.com/multiformats/go-multiaddr"
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

// natOptions returns the NAT traversal options: AutoNAT service, the
// relay transport, and autorelay fed by the discovery service's member
// list. The relay service is run by the host itself (relaysvc.go), hole
// punching too (punch.go).
func natOptions(cfg Config, src *atomic.Pointer[RelaySource], hp *holePunched) ([]libp2p.Option, error) {
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
	opts := []libp2p.Option{
		libp2p.EnableRelay(),
		libp2p.EnableNATService(),
		libp2p.EnableAutoRelayWithPeerSource(source,
			autorelay.WithMinInterval(3*time.Second),
			autorelay.WithBootDelay(0),
			autorelay.WithNumRelays(2),
			autorelay.WithMinCandidates(1),
			autorelay.WithBackoff(30*time.Second)),
	}
	// Hole punching (DCUtR) is run by the host itself: see punch.go.
	switch cfg.Reachability {
	case ReachAuto:
	case ReachPublic:
		opts = append(opts, libp2p.ForceReachabilityPublic())
	case ReachPrivate:
		opts = append(opts, libp2p.ForceReachabilityPrivate())
	default:
		return nil, fmt.Errorf("reachability %q: use public, private or leave it empty for automatic", cfg.Reachability)
	}
	return opts, nil
}

// relayOptions configure the relay service (relaysvc.go).
func relayOptions(g *gater) []relayv2.Option {
	return []relayv2.Option{relayv2.WithResources(relayResources()), relayv2.WithACL(relayACL{g})}
}

// SetRelaySource installs the function autorelay asks for relay
// candidates.
func (h *Host) SetRelaySource(f RelaySource) { h.relaySrc.Store(&f) }

// holePunched remembers peers whose direct connection came from a
// successful DCUtR hole punch, so Peers can report the link as such.
type holePunched struct {
	log   *slog.Logger
	mu    sync.Mutex
	peers map[peer.ID]time.Time
}

// Trace implements holepunch.EventTracer.
func (hp *holePunched) Trace(evt *holepunch.Event) {
	if evt == nil {
		return
	}
	if hp.log != nil {
		hp.log.Debug("hole punch event", "type", evt.Type, "remote", evt.Remote, "evt", fmt.Sprintf("%+v", evt.Evt))
	}
	if e, ok := evt.Evt.(*holepunch.EndHolePunchEvt); ok && e.Success {
		hp.mu.Lock()
		hp.peers[evt.Remote] = time.Now()
		hp.mu.Unlock()
	}
}

// punched reports whether a direct connection to p opened at or after
// the hole punch.
func (hp *holePunched) punched(p peer.ID, opened time.Time) bool {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	t, ok := hp.peers[p]
	// The direct connection is opened during the punch, just before the
	// end event: allow a little slack.
	return ok && !opened.Before(t.Add(-30*time.Second))
}

// MarkHolePunched records that the direct link to p came from a hole
// punch (for a connection that replaced a relayed one seen by a service).
func (h *Host) MarkHolePunched(p peer.ID) {
	h.hp.mu.Lock()
	h.hp.peers[p] = time.Now()
	h.hp.mu.Unlock()
}

// Measure pings p once (bounded by 5 s) and records its round-trip time,
// as Connect does; for connections services open themselves.
func (h *Host) Measure(ctx context.Context, p peer.ID) { h.measure(ctx, p) }
