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

// relayResources bound what this node gives to others as a relay: members
// relay for members only (the ACL asks the gate's RelayGate: strangers
// never, even while an invite is out or on probation), with few slots,
// so a publicly reachable laptop is not turned into a relay for the
// world. Since every circuit is member-to-member, libp2p's per-circuit
// cut (2 minutes, 128 KiB) is lifted: members' relayed links carry real
// traffic until a hole punch replaces them.
func relayResources() relayv2.Resources {
	r := relayv2.DefaultResources()
	r.Limit = nil // member-to-member only (relayACL)
	r.MaxReservations = 64
	r.MaxCircuits = 8
	r.MaxReservationsPerIP = 32
	return r
}

// relayACL asks the gate's RelayGate (members only, both ends of a
// circuit members of one workgroup); a gate without one admits peers it
// allows at all. No gate: no relaying (the node serves no one yet).
type relayACL struct{ g *gater }

func (a relayACL) AllowReserve(p peer.ID, _ ma.Multiaddr) bool {
	if rg, ok := a.g.relayGate(); ok {
		return rg.AllowReserve(p)
	}
	return a.g.gate.Load() != nil && a.g.allow(p, true)
}

func (a relayACL) AllowConnect(src peer.ID, _ ma.Multiaddr, dst peer.ID) bool {
	if rg, ok := a.g.relayGate(); ok {
		return rg.AllowCircuit(src, dst)
	}
	return a.g.gate.Load() != nil && a.g.allow(src, true) && a.g.allow(dst, false)
}

// natOptions returns the NAT traversal options: AutoNAT service, relay
// service (active only while the node is publicly reachable), autorelay
// fed by the discovery service's member list, and hole punching whose
// outcome is traced to tag hole-punched links.
func natOptions(cfg Config, g *gater, src *atomic.Pointer[RelaySource], hp *holePunched) ([]libp2p.Option, error) {
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
		libp2p.EnableRelayService(relayv2.WithResources(relayResources()), relayv2.WithACL(relayACL{g})),
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
