package p2p

import (
	"context"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-yamux/v5"
)

// rttSamples is how many recent pings a peer's round-trip time is taken
// from.
const rttSamples = 3

// rtts keeps the round-trip time of each connected peer from its recent
// pings. libp2p's peerstore keeps an EWMA that takes a tenth of each new
// sample: after an uplink outage (pings of 1,260 ms), it showed 399 ms
// for minutes while the link was back at 4 ms. Here a peer's RTT is the
// least of its last rttSamples pings over the link in use (delays above
// the path's own come from queues, which drain), its samples are dropped
// when that link changes (relayed to direct) and when its last connection
// closes, so an RTT shown is always from the current connection. Every
// new connection is pinged at once, so a link that changed has an RTT
// without waiting for the 20 s tick.
type rtts struct {
	mu    sync.Mutex
	peers map[peer.ID]*rttPeer
}

type rttPeer struct {
	link    string
	samples []time.Duration // newest last
}

// add records one ping of p over a link of kind link, if p is still
// connected: checked under the lock forget takes, so a ping answered
// just as the last connection closed leaves no sample behind.
func (r *rtts) add(p peer.ID, link string, d time.Duration, connected func() bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if link == "" || !connected() {
		return
	}
	if r.peers == nil {
		r.peers = map[peer.ID]*rttPeer{}
	}
	e := r.peers[p]
	if e == nil || e.link != link {
		e = &rttPeer{link: link}
		r.peers[p] = e
	}
	e.samples = append(e.samples, d)
	if len(e.samples) > rttSamples {
		e.samples = e.samples[len(e.samples)-rttSamples:]
	}
}

// get returns p's RTT over link (0: none measured on it).
func (r *rtts) get(p peer.ID, link string) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.peers[p]
	if e == nil || e.link != link || len(e.samples) == 0 {
		return 0
	}
	m := e.samples[0]
	for _, d := range e.samples[1:] {
		m = min(m, d)
	}
	return m
}

// forget drops p's samples if gone() says so (checked under the lock).
func (r *rtts) forget(p peer.ID, gone func() bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if gone() {
		delete(r.peers, p)
	}
}

// pathOf is the kind of path a link label stands for: a hole-punched
// link is a direct one (samples over it stay when the hole punch
// service's label arrives a moment after the connection).
func pathOf(link string) string {
	if link == LinkHolePunched {
		return LinkDirect
	}
	return link
}

// RTT returns the round-trip time to p over the connection in use (0
// when not connected or not measured yet).
func (h *Host) RTT(p peer.ID) time.Duration {
	l := h.Link(p)
	if l == "" {
		return 0
	}
	return h.rtt.get(p, pathOf(l))
}

// connClosed is told of each closed connection: a peer with none left
// has no RTT (its next connection starts afresh).
func (h *Host) connClosed(p peer.ID) {
	h.rtt.forget(p, func() bool { return h.Network().Connectedness(p) != network.Connected })
}

// measure pings p once (bounded by 5 s) over a connection there is and
// records its latency. It never dials: it runs from a goroutine started
// on each new connection, and by then the gate may have cut it (a
// stranger whose probation ended); a dial made a new connection,
// outbound, which the gate allows (this node dialled), and the stranger
// stayed connected.
func (h *Host) measure(ctx context.Context, p peer.ID) {
	ctx, cancel := context.WithTimeout(network.WithNoDial(ctx, "measure the round-trip time"), 5*time.Second)
	defer cancel()
	d, err := h.pingOnce(ctx, p)
	if err != nil {
		return
	}
	h.rtt.add(p, pathOf(h.Link(p)), d, func() bool { return h.Network().Connectedness(p) == network.Connected })
	h.Peerstore().RecordLatency(p, d)
}

// pingOnce measures one round trip to p over the connection in use (a
// direct one over a relayed one, as Link). Over yamux (TCP, and relayed
// links) that is a yamux ping frame, answered by the peer's session read
// loop: one 12-byte frame each way, where a /ipfs/ping/1.0.0 stream costs
// both ends a stream, a protocol negotiation, a handler goroutine and
// four or five frames each way (an idle member of 20 pinged and was
// pinged about once a second each: records/2026-12-01-s12-idle.md).
// Every yamux implementation answers pings, so older nodes do too. Other
// muxers (QUIC) use the ping protocol.
func (h *Host) pingOnce(ctx context.Context, p peer.ID) (time.Duration, error) {
	if s := h.yamuxInUse(p); s != nil {
		type result struct {
			d   time.Duration
			err error
		}
		ch := make(chan result, 1)
		// Session.Ping takes no context; it gives up after the
		// session's write timeout (10 s) or when the session closes.
		go func() {
			d, err := s.Ping()
			ch <- result{d, err}
		}()
		select {
		case r := <-ch:
			return r.d, r.err
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	select {
	case res := <-h.ping.Ping(ctx, p):
		return res.RTT, res.Error
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// yamuxInUse is the yamux session of p's connection in use, nil when that
// connection is not muxed by yamux (QUIC) or p is not connected.
func (h *Host) yamuxInUse(p peer.ID) *yamux.Session {
	var best network.Conn
	for _, c := range h.Network().ConnsToPeer(p) {
		if best == nil || h.linkOf(best) == LinkRelayed {
			best = c
		}
	}
	var s *yamux.Session
	if best == nil || !best.As(&s) {
		return nil
	}
	return s
}
