package discovery

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	ma "github.com/multiformats/go-multiaddr"
)

// backoff is the dial schedule of one unreachable member.
type backoff struct {
	next time.Time
	wait time.Duration
	// err is the last dial's failure (nil: not dialled since the member
	// was last connected or found).
	err error
	// requeried is the last DHT re-query of the member (requery).
	requeried time.Time
}

// dialTimeout bounds one attempt to reach a member.
const dialTimeout = 20 * time.Second

// yieldDelay is how long the member with the larger peer ID waits before
// dialling one it is not connected to, so the two do not dial each other
// at the same time: libp2p's TCP dials leave from the listen port
// (SO_REUSEPORT), and two simultaneous dials between the same ports
// become one TCP connection that both ends think they opened, whose
// security handshake then hangs until it times out.
const yieldDelay = 1500 * time.Millisecond

// jitter spreads d by ±25%.
func jitter(d time.Duration) time.Duration {
	return d*3/4 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// firstTry returns when this node should first dial p: now if its peer ID
// is the smaller, else after yieldDelay (jittered).
func (s *Service) firstTry(p peer.ID, after time.Duration) time.Time {
	if s.cfg.Host.ID() > p {
		after += jitter(yieldDelay)
	}
	return time.Now().Add(after)
}

// maybeDial dials member p of wg unless it is connected, being dialled or
// waiting out its backoff. It reports whether it started a dial.
func (s *Service) maybeDial(wg string, p peer.ID) bool {
	h := s.cfg.Host
	if h.Network().Connectedness(p) == network.Connected {
		return false
	}
	now := time.Now()
	s.mu.Lock()
	if s.dialing[p] {
		s.mu.Unlock()
		return false
	}
	b := s.backoff[p]
	if b == nil {
		b = &backoff{next: s.firstTry(p, 0), wait: time.Second}
		s.backoff[p] = b
	}
	if now.Before(b.next) {
		s.mu.Unlock()
		return false
	}
	select {
	case s.sem <- struct{}{}:
	default:
		s.mu.Unlock()
		return false // enough dials in flight; the next round tries
	}
	s.dialing[p] = true
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() { <-s.sem }()
		err := s.dial(wg, p)
		if err == nil {
			s.cfg.Host.Measure(s.ctx, p)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.dialing, p)
		if err == nil {
			delete(s.backoff, p)
			return
		}
		b := s.backoff[p]
		if b == nil {
			b = &backoff{wait: time.Second}
			s.backoff[p] = b
		} else {
			b.wait = min(2*b.wait, s.cfg.MaxBackoff)
		}
		b.next = time.Now().Add(jitter(b.wait))
		b.err = err
		s.cfg.Log.Debug("cannot reach member", "peer", p, "retry_in", b.wait, "err", err)
	}()
	return true
}

// dial reaches p with the addresses the book and the peerstore know, and
// failing that asks the workgroup's DHT where p is. Book addresses
// waiting out their backoff (they failed lately) are not dialled, and
// each address that fails gets a longer one.
func (s *Service) dial(wg string, p peer.ID) error {
	ctx, cancel := context.WithTimeout(s.ctx, dialTimeout)
	defer cancel()
	h := s.cfg.Host
	now := time.Now()
	ready, waiting, _ := s.book.Dialable(ctx, p, now)
	h.Peerstore().AddAddrs(p, ready, peerstore.RecentlyConnectedAddrTTL)
	s.mu.Lock()
	for _, a := range waiting {
		if !s.announcedLocked(p, a, now) {
			h.Peerstore().SetAddr(p, a, 0) // the swarm dials what the peerstore holds
		}
	}
	s.mu.Unlock()
	// Through members that relay, in case p sits behind a NAT and holds
	// a reservation there; the swarm tries direct addresses first.
	via := s.circuitAddrs(p)
	var err error
	if len(h.Peerstore().Addrs(p)) > 0 || len(via) > 0 {
		if err = s.connect(ctx, peer.AddrInfo{ID: p, Addrs: via}); err == nil {
			return nil
		}
	}
	d := s.dht(wg)
	if d == nil {
		if err == nil {
			err = errNoAddrs
		}
		return err
	}
	ai, ferr := d.findPeer(ctx, p)
	if ferr != nil {
		if err == nil {
			err = ferr
		}
		return err
	}
	ai.Addrs = h.UsableFrom(p, ai.Addrs)
	s.learn(learnt{p: p, source: SourceDHT, addrs: ai.Addrs})
	ai.Addrs = append(ai.Addrs, via...)
	return s.connect(ctx, ai)
}

// connect dials ai and tells the book which addresses failed (a
// connection that works is recorded when identify completes).
func (s *Service) connect(ctx context.Context, ai peer.AddrInfo) error {
	err := s.cfg.Host.Host.Connect(ctx, ai)
	var de *swarm.DialError
	if err != nil && errors.As(err, &de) {
		failed := make([]ma.Multiaddr, 0, len(de.DialErrors))
		for _, te := range de.DialErrors {
			failed = append(failed, te.Address)
		}
		if ferr := s.book.Failed(s.ctx, ai.ID, failed); ferr != nil && s.ctx.Err() == nil {
			s.cfg.Log.Warn("address book", "err", ferr)
		}
	}
	return err
}

// Reachability of a member beside its presence (browse).
const (
	ReachConnected = "connected" // a connection is up
	ReachNoRoute   = "no route"  // the last dial failed: no address and no relay reached it
	ReachUnknown   = "unknown"   // not connected, not dialled since (or not yet)
)

// Reach tells whether this node has a route to member p: connected, no
// route (the last dial of it failed, through its addresses and the relay
// members), or unknown.
func (s *Service) Reach(p peer.ID) string {
	if s.cfg.Host.Network().Connectedness(p) == network.Connected {
		return ReachConnected
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.backoff[p]; b != nil && b.err != nil {
		return ReachNoRoute
	}
	return ReachUnknown
}
