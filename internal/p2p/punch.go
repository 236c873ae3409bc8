package p2p

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/holepunch"
	"github.com/libp2p/go-libp2p/p2p/protocol/identify"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
	"github.com/prometheus/client_golang/prometheus"
)

// puncher runs DCUtR hole punching for this node. libp2p's own setup
// (libp2p.EnableHolePunching) tries once, when a relayed connection
// opens, and only if its service is ready then (it waits until this node
// knows a public address of its own); a link relayed before this node
// learnt its external address stays relayed for good. In a workgroup the
// relayed link to a member is often the first thing a NATed node opens.
//
// So the host builds the same service itself (same protocol, same code)
// and retries, every punchEvery, each peer still reached only through a
// relay (at most once a punchRetry per peer). It punches from this node's
// public listen addresses and the public addresses peers observed on its
// listening sockets (one observer is enough, as in libp2p's hole punching;
// QUIC dials leave from the listening UDP socket, TCP dials from ephemeral
// ports, so in practice these are QUIC addresses: see tcpFirstRanker).
type puncher struct {
	h   host.Host
	svc *holepunch.Service

	mu       sync.Mutex
	observed map[string]observedAddr // by address
	tried    map[peer.ID]time.Time   // last attempt per peer
}

type observedAddr struct {
	addr  ma.Multiaddr
	local ma.Multiaddr // the listen address it was observed for
	at    time.Time
}

// Punch timing.
const (
	punchEvery     = 5 * time.Second  // how often relayed peers are looked at
	punchRetry     = time.Minute      // wait after an attempt before the next one
	observedExpiry = 30 * time.Minute // an observation unconfirmed this long is dropped
	maxObserved    = 16
)

func newPuncher(h host.Host, tracer holepunch.EventTracer, reg prometheus.Registerer) (*puncher, error) {
	bh, ok := h.(interface{ IDService() identify.IDService })
	if !ok {
		return nil, fmt.Errorf("hole punching: host %T has no identify service", h)
	}
	p := &puncher{h: h, observed: map[string]observedAddr{}, tried: map[peer.ID]time.Time{}}
	opt := holepunch.WithTracer(tracer)
	if reg != nil {
		// libp2p_holepunch_*: outcomes per side, attempt and transport.
		opt = holepunch.WithMetricsAndEventTracer(holepunch.NewMetricsTracer(holepunch.WithRegisterer(reg)), tracer)
	}
	svc, err := holepunch.NewService(h, bh.IDService(), p.addrs, opt)
	if err != nil {
		return nil, fmt.Errorf("hole punching: %w", err)
	}
	p.svc = svc
	return p, nil
}

// addrs returns the public addresses to punch from: this node's public
// listen addresses and what peers observed on its listening sockets.
func (p *puncher) addrs() []ma.Multiaddr {
	var out []ma.Multiaddr
	for _, a := range p.h.Network().ListenAddresses() {
		if manet.IsPublicAddr(a) {
			out = append(out, a)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, o := range p.observed {
		if time.Since(o.at) > observedExpiry {
			delete(p.observed, k)
			continue
		}
		out = append(out, o.addr)
	}
	return ma.Unique(out)
}

// observe records the address a peer saw this node's connection come
// from, if the connection left from a listening socket (QUIC dials do;
// TCP dials use ephemeral ports) and the address is public.
func (p *puncher) observe(c network.Conn, obs ma.Multiaddr) {
	if c != nil {
		p.observeFrom(c.LocalMultiaddr(), obs)
	}
}

// observeFrom records obs as seen for a connection from local, and
// reports whether it was recorded.
func (p *puncher) observeFrom(local, obs ma.Multiaddr) bool {
	if local == nil || obs == nil || !manet.IsPublicAddr(obs) || isRelayed(obs) || isRelayed(local) {
		return false
	}
	listening := false
	for _, a := range p.h.Network().ListenAddresses() {
		if a.Equal(local) {
			listening = true
			break
		}
	}
	if !listening || sameTransport(local, obs) != nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.observed[obs.String()]; !ok && len(p.observed) >= maxObserved {
		return false
	}
	p.observed[obs.String()] = observedAddr{addr: obs, local: local, at: time.Now()}
	return true
}

// sameTransport checks that an observed address is of the local
// address's transport (same protocols after the IP).
func sameTransport(local, obs ma.Multiaddr) error {
	if len(local) != len(obs) {
		return fmt.Errorf("observed %s for %s", obs, local)
	}
	for i := 1; i < len(local); i++ {
		if local[i].Protocol().Code != obs[i].Protocol().Code {
			return fmt.Errorf("observed %s for %s", obs, local)
		}
	}
	return nil
}

// run records observations, retries relayed peers and re-observes this
// node's address when it may have changed (reobserve.go), until ctx ends.
func (p *puncher) run(ctx context.Context, log func(msg string, args ...any)) {
	sub, err := p.h.EventBus().Subscribe(new(event.EvtPeerIdentificationCompleted))
	if err != nil {
		log("hole punching: no identify events", "err", err)
		return
	}
	defer sub.Close()
	kick := make(chan string, 1)
	trigger := func(reason string) {
		select {
		case kick <- reason:
		default:
		}
	}
	// A direct connection closed while the peer stays connected
	// through a relay: the path died, the peer did not.
	nb := &network.NotifyBundle{DisconnectedF: func(nw network.Network, c network.Conn) {
		if isRelayed(c.RemoteMultiaddr()) {
			return
		}
		for _, o := range nw.ConnsToPeer(c.RemotePeer()) {
			if isRelayed(o.RemoteMultiaddr()) {
				trigger(reobserveLinkLost)
				return
			}
		}
	}}
	p.h.Network().Notify(nb)
	defer p.h.Network().StopNotify(nb)
	t := time.NewTicker(punchEvery)
	defer t.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	punch := func() {
		for _, rp := range p.relayedOnly() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := p.svc.DirectConnect(rp); err != nil {
					log("hole punch failed", "peer", rp, "err", err)
					if p.observedFor() >= reobserveGap {
						trigger(reobservePunchFailed)
					}
				}
			}()
		}
	}
	type round struct {
		start          time.Time
		reason         string
		changed, newIP bool
	}
	// again punches every relayed peer now, whenever it was last tried.
	again := func() {
		if !p.ready() {
			return
		}
		p.mu.Lock()
		clear(p.tried)
		p.mu.Unlock()
		punch()
	}
	var later <-chan time.Time
	var sched reobserveSched
	rounds := make(chan round, 1)
	running := false
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-sub.Out():
			if !ok {
				return
			}
			ev := e.(event.EvtPeerIdentificationCompleted)
			p.observe(ev.Conn, ev.ObservedAddr)
		case <-t.C:
			if p.ready() { // else nothing to punch from (yet)
				punch()
			}
		case reason := <-kick:
			if running || !sched.due(reason, time.Now()) {
				continue
			}
			running = true
			log("re-observing this node's address", "reason", reason)
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := time.Now()
				changed, newIP := p.reobserve(ctx, log)
				rounds <- round{start, reason, changed, newIP}
			}()
		case r := <-rounds:
			running = false
			sched.done(r.start, r.newIP)
			switch {
			case r.changed:
				// A new address: punch every relayed peer again now.
				again()
			case r.reason == reobserveLinkLost:
				// Nothing new here, but only the end whose relayed
				// connection is inbound can start a punch (DCUtR), and
				// the other end's address may be the one that changed:
				// punch once it has had time to re-observe (it lost the
				// link too), or the first attempt goes to its old
				// address and the next waits for the dial timeout.
				later = time.After(linkLostPunchDelay)
			}
		case <-later:
			later = nil
			again()
		}
	}
}

// relayedOnly returns the peers reached only through a relay that are due
// for an attempt, and marks them tried.
func (p *puncher) relayedOnly() []peer.ID {
	now := time.Now()
	var out []peer.ID
	p.mu.Lock()
	defer p.mu.Unlock()
	for q, at := range p.tried {
		if now.Sub(at) > 2*punchRetry {
			delete(p.tried, q)
		}
	}
	for _, q := range p.h.Network().Peers() {
		direct := false
		conns := p.h.Network().ConnsToPeer(q)
		for _, c := range conns {
			if !isRelayed(c.RemoteMultiaddr()) {
				direct = true
				break
			}
		}
		if direct || len(conns) == 0 {
			continue
		}
		if at, ok := p.tried[q]; ok && now.Sub(at) < punchRetry {
			continue
		}
		p.tried[q] = now
		out = append(out, q)
	}
	return out
}

// observedFor is how long ago this node's newest observation was made
// (0: none). A punch that fails right after a live connection reported
// this node's address says nothing about that address being stale (the
// other end may be behind a symmetric NAT), so it starts no
// re-observation round: at start every member would otherwise probe the
// public members while the first punches run.
func (p *puncher) observedFor() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	var newest time.Time
	for _, o := range p.observed {
		if o.at.After(newest) {
			newest = o.at
		}
	}
	if newest.IsZero() {
		return 0
	}
	return time.Since(newest)
}

// ready reports whether the hole-punch service runs: it starts (and
// serves DCUtR) once addrs returns an address, within 5 s.
func (p *puncher) ready() bool {
	return len(p.addrs()) > 0 && slices.Contains(p.h.Mux().Protocols(), holepunch.Protocol)
}

func (p *puncher) close() error { return p.svc.Close() }
