package p2p

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	"github.com/libp2p/go-libp2p/p2p/protocol/identify"
	"github.com/libp2p/go-libp2p/p2p/protocol/identify/pb"
	"github.com/libp2p/go-msgio/pbio"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
	msmux "github.com/multiformats/go-multistream"
)

// Re-observation: this node's public address may change under it (a
// home gateway that comes back with a new lease). Its QUIC connections
// to public peers survive that (quic-go follows the new path), but
// libp2p keeps each connection's first address and runs identify once
// per connection, so no peer tells this node its new address, and the
// puncher keeps punching from the old one (30 min). The signals: a
// direct connection closed while the peer is still connected through a
// relay (the path died, the peer did not), and a hole punch that failed.
// On one, the puncher asks up to reobservePeers peers it has a direct
// public QUIC connection to what they see, on a fresh connection of its
// own from the listening socket (through the QUIC transport, as
// ConnectAddr does: handshake and peer ID checked), with libp2p's
// identify request (the /ipfs/id/1.0.0 answer's observed address; no new
// wire exchange), closed once read. A fresh connection is a fresh NAT
// mapping, so its observed address is the current one. What it reports
// replaces the older observations of that listen address; when it is
// new, every peer reached only through a relay is punched again at
// once; after a lost direct link with nothing new here, linkLostPunchDelay
// later (DCUtR: only the end whose relayed connection is inbound can
// start a punch, so the end whose address did not change must punch too,
// once the other end has re-observed its own).
const (
	reobservePeers   = 3                // peers asked at once
	reobserveTimeout = 10 * time.Second // for the whole round
	reobserveLinger  = 500 * time.Millisecond
	// reobserveGap is the least time between two rounds; after a
	// failed punch the gap doubles while rounds find no new IP address
	// (a symmetric NAT fails every punch, and shows a new port at every
	// round), up to reobserveMaxGap.
	reobserveGap    = 30 * time.Second
	reobserveMaxGap = 15 * time.Minute
	// linkLostPunchDelay: after a lost direct link, a round that found
	// nothing new punches this much later, once the other end (which
	// lost the link too) has had time to re-observe its own address.
	linkLostPunchDelay = 2 * time.Second
	// identifyMaxSize bounds the identify answer read (libp2p's own
	// bound for a message with a signed record).
	identifyMaxSize = 8 << 10
)

// Reasons for a round.
const (
	reobserveLinkLost    = "direct link lost"
	reobservePunchFailed = "hole punch failed"
)

// reobserveSched decides whether a round may start now.
type reobserveSched struct {
	last time.Time     // start of the last round
	gap  time.Duration // after a failed punch
}

// due reports whether a round for reason may start at now.
func (s *reobserveSched) due(reason string, now time.Time) bool {
	if s.last.IsZero() {
		return true
	}
	gap := reobserveGap
	if reason == reobservePunchFailed {
		gap = max(s.gap, reobserveGap)
	}
	return now.Sub(s.last) >= gap
}

// done records a round that started at start and found a new IP
// address or not.
func (s *reobserveSched) done(start time.Time, newIP bool) {
	s.last = start
	if newIP {
		s.gap = reobserveGap
		return
	}
	s.gap = min(max(2*s.gap, reobserveGap), reobserveMaxGap)
}

// observation is what one peer reported on a fresh connection.
type observation struct {
	local, obs ma.Multiaddr
}

// observers returns up to n peers to ask: those with a direct QUIC
// connection on a public address, peers with no relayed connection
// (always-on members) first.
func observers(nw network.Network, n int) []peer.AddrInfo {
	type cand struct {
		info    peer.AddrInfo
		relayed bool
	}
	var cs []cand
	for _, q := range nw.Peers() {
		var c cand
		for _, conn := range nw.ConnsToPeer(q) {
			a := conn.RemoteMultiaddr()
			if isRelayed(a) {
				c.relayed = true
				continue
			}
			if c.info.ID == "" && isQUIC(a) && manet.IsPublicAddr(a) {
				c.info = peer.AddrInfo{ID: q, Addrs: []ma.Multiaddr{a}}
			}
		}
		if c.info.ID != "" {
			cs = append(cs, c)
		}
	}
	slices.SortStableFunc(cs, func(a, b cand) int {
		if a.relayed != b.relayed {
			if a.relayed {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.info.ID, b.info.ID)
	})
	out := make([]peer.AddrInfo, 0, n)
	for _, c := range cs[:min(n, len(cs))] {
		out = append(out, c.info)
	}
	return out
}

func isQUIC(a ma.Multiaddr) bool {
	_, err := a.ValueForProtocol(ma.P_QUIC_V1)
	return err == nil
}

// askObserved opens a fresh connection to info (its one address) through
// the transport, asks identify, and returns the address the peer saw it
// come from and the connection's local address.
func askObserved(ctx context.Context, sw *swarm.Swarm, info peer.AddrInfo) (observation, error) {
	addr := info.Addrs[0]
	tpt := sw.TransportForDialing(addr)
	if tpt == nil {
		return observation{}, fmt.Errorf("no transport dials %s", addr)
	}
	c, err := tpt.Dial(ctx, addr, info.ID)
	if err != nil {
		return observation{}, fmt.Errorf("dial %s at %s: %w", info.ID, addr, err)
	}
	defer c.Close()
	s, err := c.OpenStream(ctx)
	if err != nil {
		return observation{}, fmt.Errorf("identify stream to %s: %w", info.ID, err)
	}
	defer s.Reset()
	if dl, ok := ctx.Deadline(); ok {
		_ = s.SetDeadline(dl)
	}
	if err := msmux.SelectProtoOrFail(identify.ID, s); err != nil {
		return observation{}, fmt.Errorf("identify with %s: %w", info.ID, err)
	}
	obs, err := readObserved(s)
	if err != nil {
		return observation{}, fmt.Errorf("identify from %s: %w", info.ID, err)
	}
	return observation{local: c.LocalMultiaddr(), obs: obs}, nil
}

// readObserved reads the first message of an identify answer and
// returns the observed address in it.
func readObserved(r io.Reader) (ma.Multiaddr, error) {
	var m pb.Identify
	if err := pbio.NewDelimitedReader(r, identifyMaxSize).ReadMsg(&m); err != nil {
		return nil, fmt.Errorf("read identify: %w", err)
	}
	if len(m.ObservedAddr) == 0 {
		return nil, errors.New("identify without an observed address")
	}
	obs, err := ma.NewMultiaddrBytes(m.ObservedAddr)
	if err != nil {
		return nil, fmt.Errorf("observed address: %w", err)
	}
	return obs, nil
}

// reobserve runs one round: it asks observers on fresh connections,
// takes what the first answer and those within reobserveLinger report,
// and replaces older observations of the same listen addresses. It
// reports whether an address, and an IP address, not observed before
// came back.
func (p *puncher) reobserve(ctx context.Context, log func(msg string, args ...any)) (changed, newIP bool) {
	sw, ok := p.h.Network().(*swarm.Swarm)
	if !ok {
		return false, false
	}
	infos := observers(p.h.Network(), reobservePeers)
	if len(infos) == 0 {
		return false, false
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, reobserveTimeout)
	defer cancel()
	res := make(chan observation, len(infos))
	var wg sync.WaitGroup
	for _, info := range infos {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := askObserved(ctx, sw, info)
			if err != nil {
				log("re-observation failed", "peer", info.ID, "err", err)
				return
			}
			res <- o
		}()
	}
	go func() { wg.Wait(); close(res) }()
	var got []observation
	var linger <-chan time.Time
collect:
	for {
		select {
		case o, ok := <-res:
			if !ok {
				break collect
			}
			got = append(got, o)
			if linger == nil {
				linger = time.After(reobserveLinger)
			}
		case <-linger:
			break collect
		case <-ctx.Done():
			break collect
		}
	}
	cancel()
	changed, newIP = p.replaceObserved(got, start)
	log("re-observed this node's address", "asked", len(infos), "answers", len(got), "new", changed, "new_ip", newIP, "addrs", p.addrs())
	return changed, newIP
}

// replaceObserved records fresh observations (made since start) and drops
// the older ones of the same listen addresses. It reports whether one
// was not observed before, and whether its IP address was not (a port
// alone is new at every round behind a symmetric NAT).
func (p *puncher) replaceObserved(got []observation, start time.Time) (changed, newIP bool) {
	p.mu.Lock()
	known, knownIP := map[string]bool{}, map[string]bool{}
	for k, o := range p.observed {
		known[k] = true
		knownIP[o.addr[0].String()] = true
	}
	p.mu.Unlock()
	fresh := map[string]bool{}
	for _, o := range got {
		if p.observeFrom(o.local, o.obs) {
			fresh[o.obs.String()] = true
			changed = changed || !known[o.obs.String()]
			newIP = newIP || !knownIP[o.obs[0].String()]
		}
	}
	if len(fresh) == 0 {
		return false, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, o := range p.observed {
		if fresh[k] || !o.at.Before(start) {
			continue
		}
		for _, f := range got {
			if fresh[f.obs.String()] && o.local != nil && o.local.Equal(f.local) {
				delete(p.observed, k)
				break
			}
		}
	}
	return changed, newIP
}
