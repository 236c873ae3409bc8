package discovery

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
)

// DHT re-queries of members with no working address.
const (
	// requeryEvery is how often one such member is looked up again in
	// the DHT, whatever its dial backoff (up to MaxBackoff, 2 min).
	requeryEvery = 30 * time.Second
	// requeryMost is how many lookups one routes tick starts.
	requeryMost = 4
)

// requery looks up again, in the workgroup DHT, members whose last dial
// failed and whose next dial is more than requeryEvery away (each at
// most once per requeryEvery, requeryMost per tick), while this node is
// connected to some member (the DHT asks them). A member that came back
// on a new address (a restart on another port, a new network) is found
// through the members that see it, without waiting out a backoff that
// grew while it was away: an address found is added to the peerstore and
// the book, and the member is dialled at once.
func (s *Service) requery(now time.Time) {
	h := s.cfg.Host
	connected := false
	for _, p := range h.Network().Peers() {
		if s.isMember(p) {
			connected = true
			break
		}
	}
	if !connected || s.cfg.NoDHT {
		return
	}
	type job struct {
		wg string
		p  peer.ID
	}
	var jobs []job
	s.mu.Lock()
	for p, b := range s.backoff {
		if len(jobs) >= requeryMost {
			break
		}
		if b.err == nil || s.dialing[p] || b.next.Sub(now) < requeryEvery || now.Sub(b.requeried) < requeryEvery {
			continue
		}
		ms := s.cfg.Dir.Memberships(p)
		if len(ms) == 0 {
			continue
		}
		b.requeried = now
		jobs = append(jobs, job{ms[0].Workgroup, p})
	}
	s.mu.Unlock()
	for _, j := range jobs {
		d := s.dht(j.wg)
		if d == nil {
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.lookUp(d, j.p)
		}()
	}
}

// lookUp asks the DHT for p; what it finds is kept and dialled at once.
func (s *Service) lookUp(d *wgDHT, p peer.ID) {
	ctx, cancel := context.WithTimeout(s.ctx, dialTimeout)
	defer cancel()
	ai, err := d.findPeer(ctx, p)
	if err != nil {
		return
	}
	h := s.cfg.Host
	addrs := h.UsableFrom(p, ai.Addrs)
	if len(addrs) == 0 {
		return
	}
	h.Peerstore().AddAddrs(p, addrs, peerstore.RecentlyConnectedAddrTTL)
	s.learn(learnt{p: p, source: SourceDHT, addrs: addrs})
	if h.Network().Connectedness(p) == network.Connected {
		return // the lookup connected to it on its way
	}
	s.mu.Lock()
	if b := s.backoff[p]; b != nil {
		b.next = time.Now()
	}
	s.mu.Unlock()
	s.Kick()
}
