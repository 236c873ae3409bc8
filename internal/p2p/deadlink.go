package p2p

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"
	msmux "github.com/multiformats/go-multistream"
	"github.com/quic-go/quic-go"
)

// Dead direct links: a hole-punched (or LAN) QUIC connection whose path
// died silently (a home gateway that restarted and lost its mapping, or
// came back with a new address) is kept by libp2p until QUIC's idle
// timeout (30 s: quic-go's default, which go-libp2p keeps); new streams
// to the peer go to it meanwhile and hang, although the peer is reached
// through a relay too. The link watcher notices it in seconds and closes
// it, so streams take the relayed connection and the puncher re-observes
// and punches again (reobserve.go).
//
// It reads what a busy link gives anyway: quic-go's packet counters of
// each direct QUIC connection (quic.Conn.ConnectionStats), every
// linkTick. A link is suspect only when this node sent packets (beyond
// one: a delayed ACK) since it last received any: every QUIC packet that
// carries data, a keep-alive or a retransmission asks for an ACK within
// the peer's ACK delay (25 ms), so a path that works answers within a
// round trip or a few retransmissions. A link that is receiving (a
// transfer to this node) or is being ACKed (a transfer from it, however
// full its windows) is never suspect, however slow; an idle link (nothing
// sent) costs nothing. A suspect link is probed with libp2p's ping on
// that very connection (one 32-byte ping on a stream of its own, sent
// with the protocol header in one packet: /ipfs/ping/1.0.0, which every
// libp2p node answers) after linkProbeAfter, then every linkProbeGap; it
// is dead when nothing at all came back for linkDeadAfter (or three
// PTOs of its own RTT estimate, for a slow path) and at least
// linkMinProbes probes went unanswered. With its first probe, the
// peer's other connections are pinged too (until one answers): a dead
// link is closed only when one of them answered since it fell silent,
// so the way around is shown to work (when this node's own uplink is
// down, every path is silent and nothing is closed). The only
// connection to a peer is never closed here (QUIC's idle timeout still
// ends it). Only connections of peers with another connection are
// watched at all.
//
// A shorter QUIC idle timeout was not used: go-libp2p v0.51 gives no
// option for it (its quic.Config is fixed, the accepting side's not even
// reachable), it would end every QUIC connection after a short outage,
// the only one to a peer included, and its keep-alives (half the idle
// timeout) would run on every connection, not only on the ones with a
// way around.
const (
	linkTick       = time.Second
	linkProbeAfter = time.Second
	linkProbeGap   = 2 * time.Second
	linkDeadAfter  = 5 * time.Second
	linkMinProbes  = 2
)

// linkParams are the watcher's thresholds (tests use shorter ones).
type linkParams struct {
	tick, probeAfter, probeGap, deadAfter time.Duration
	minProbes                             int
}

var defaultLinkParams = linkParams{linkTick, linkProbeAfter, linkProbeGap, linkDeadAfter, linkMinProbes}

// linkSample is what quic-go counted on a connection so far.
type linkSample struct {
	recv, sent uint64        // packets received and sent
	pto        time.Duration // the probe timeout of its RTT estimate
}

func sampleOf(qc *quic.Conn) linkSample {
	st := qc.ConnectionStats()
	pto := st.SmoothedRTT + max(4*st.MeanDeviation, time.Millisecond) + 25*time.Millisecond
	return linkSample{recv: st.PacketsReceived, sent: st.PacketsSent, pto: pto}
}

// linkVerdict is what a tick decides for one link.
type linkVerdict int

const (
	linkOK linkVerdict = iota
	linkProbe
	linkDead
)

// linkState follows one connection between ticks.
type linkState struct {
	started   bool
	recv      uint64    // packets received at the last tick
	sentHeard uint64    // packets sent at the last tick that heard something
	since     time.Time // first tick that saw a send unanswered (zero: none)
	probes    int       // probes sent since
	lastProbe time.Time
	// around is set when another connection to the peer answered a
	// probe since (nil: none probed yet).
	around *atomic.Bool
}

// step takes one sample at now and says what to do.
func (s *linkState) step(now time.Time, x linkSample, p linkParams) linkVerdict {
	if !s.started || x.recv != s.recv {
		// Something came back (or the first look): alive.
		*s = linkState{started: true, recv: x.recv, sentHeard: x.sent}
		return linkOK
	}
	if s.since.IsZero() {
		// One packet sent after the last one heard may be its ACK,
		// which asks for no answer.
		if x.sent <= s.sentHeard+1 {
			return linkOK
		}
		s.since = now
	}
	wait := now.Sub(s.since)
	if wait >= max(p.deadAfter, 3*x.pto) && s.probes >= p.minProbes {
		return linkDead
	}
	if wait >= p.probeAfter && (s.probes == 0 || now.Sub(s.lastProbe) >= p.probeGap) {
		s.probes++
		s.lastProbe = now
		return linkProbe
	}
	return linkOK
}

// watchLinks runs the watcher until ctx ends.
func (h *Host) watchLinks(ctx context.Context, p linkParams) {
	t := time.NewTicker(p.tick)
	defer t.Stop()
	states := map[network.Conn]*linkState{}
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			h.checkLinks(ctx, now, p, states)
		}
	}
}

// checkLinks is one tick of the watcher over every connection.
func (h *Host) checkLinks(ctx context.Context, now time.Time, p linkParams, states map[network.Conn]*linkState) {
	seen := make(map[network.Conn]bool, len(states))
	nw := h.Network()
	for _, pid := range nw.Peers() {
		conns := nw.ConnsToPeer(pid)
		if len(conns) < 2 {
			continue // the only connection: not watched
		}
		for _, c := range conns {
			var qc *quic.Conn
			if isRelayed(c.RemoteMultiaddr()) || c.IsClosed() || !c.As(&qc) {
				continue
			}
			seen[c] = true
			s := states[c]
			if s == nil {
				s = &linkState{}
				states[c] = s
			}
			switch s.step(now, sampleOf(qc), p) {
			case linkProbe:
				h.probeLink(ctx, c, conns, s, p)
			case linkDead:
				h.closeDeadLink(c, now.Sub(s.since), s.around != nil && s.around.Load())
				delete(states, c) // kept: watched afresh
			}
		}
	}
	for c := range states {
		if !seen[c] {
			delete(states, c)
		}
	}
}

// probeLink probes suspect connection c of a peer with connections
// conns, and the others too while none of them has answered in this
// suspicion: a dead link is closed only when the way around works.
func (h *Host) probeLink(ctx context.Context, c network.Conn, conns []network.Conn, s *linkState, p linkParams) {
	if s.around == nil {
		s.around = new(atomic.Bool)
		h.log.Debug("direct link silent, probing", "peer", c.RemotePeer(), "addr", c.RemoteMultiaddr())
	}
	around := s.around
	probe := func(o network.Conn, answered func()) {
		pctx, cancel := context.WithTimeout(ctx, p.deadAfter)
		defer cancel()
		if err := probeConn(pctx, o); err != nil {
			h.log.Debug("link probe unanswered", "peer", o.RemotePeer(), "addr", o.RemoteMultiaddr(), "err", err)
			return
		}
		answered()
	}
	go probe(c, func() {})
	if around.Load() {
		return
	}
	for _, o := range conns {
		if o != c && !o.IsClosed() {
			go probe(o, func() { around.Store(true) })
		}
	}
}

// closeDeadLink closes c if its peer keeps another open connection that
// answered a probe (aroundOK) since c fell silent.
func (h *Host) closeDeadLink(c network.Conn, silent time.Duration, aroundOK bool) {
	pid := c.RemotePeer()
	others := 0
	for _, o := range h.Network().ConnsToPeer(pid) {
		if o != c && !o.IsClosed() {
			others++
		}
	}
	if others == 0 {
		h.keptLinks.Add(1)
		h.log.Debug("direct link silent, kept: the only connection", "peer", pid, "addr", c.RemoteMultiaddr(), "silent", silent)
		return
	}
	if !aroundOK {
		h.keptLinks.Add(1)
		h.log.Info("direct link silent, kept: the peer's other connections did not answer either", "peer", pid, "addr", c.RemoteMultiaddr(), "silent", silent.Round(time.Millisecond), "others", others)
		return
	}
	h.log.Info("direct link dead, closed: the peer stays reached another way", "peer", pid, "addr", c.RemoteMultiaddr(), "silent", silent.Round(time.Millisecond), "others", others)
	h.deadLinks.Add(1)
	_ = c.CloseWithError(network.ConnGarbageCollected)
}

// probeConn pings over c itself (not the peer's best connection): the
// ping protocol's header and a 32-byte ping leave in one write, the
// answer is the protocol's echo and the ping back.
func probeConn(ctx context.Context, c network.Conn) error {
	s, err := c.NewStream(ctx)
	if err != nil {
		return fmt.Errorf("open probe stream: %w", err)
	}
	defer s.Reset()
	defer context.AfterFunc(ctx, func() { _ = s.Reset() })()
	if err := s.SetProtocol(ping.ID); err != nil {
		return fmt.Errorf("probe stream: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = s.SetDeadline(dl)
	}
	ms := msmux.NewMSSelect(s, ping.ID)
	var out, in [ping.PingSize]byte
	_, _ = rand.Read(out[:])
	if _, err := ms.Write(out[:]); err != nil {
		return fmt.Errorf("write probe: %w", err)
	}
	if _, err := io.ReadFull(ms, in[:]); err != nil {
		return fmt.Errorf("read probe answer: %w", err)
	}
	if in != out {
		return fmt.Errorf("probe answer differs")
	}
	return nil
}
