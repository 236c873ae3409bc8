package discovery

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/p2p"
)

// learnt is a batch of addresses of a member for the book.
type learnt struct {
	p      peer.ID
	source string
	addrs  []ma.Multiaddr
}

// heardSet is the last set of heartbeat addresses recorded for a member.
type heardSet struct {
	key  string
	at   time.Time // written to the book
	last time.Time // last heartbeat that announced them
}

// heardLive is how long after a heartbeat its addresses count as live
// (dialled even while a backoff from failures before holds).
const heardLive = time.Minute

// announced reports whether member p announced a in a heartbeat within
// heardLive: a member that is up says where it listens, so an address
// that failed while it was down (a restart on the same port) is tried
// again at once. s.mu is held.
func (s *Service) announcedLocked(p peer.ID, a ma.Multiaddr, now time.Time) bool {
	h, ok := s.heard[p]
	return ok && now.Sub(h.last) < heardLive && strings.Contains(h.key, a.String()+" ")
}

// heardAgain is how often an unchanged set of heartbeat addresses is
// written to the book again (to refresh its place among the newest).
const heardAgain = 10 * time.Minute

// heardAddrs is presence's address sink: a member's heartbeat announced
// addrs (already judged usable from here). They go to the book when they
// changed, or every heardAgain: heartbeats come every 2 to 30 s per
// member, the book is SQLite.
func (s *Service) heardAddrs(p peer.ID, addrs []ma.Multiaddr) {
	if !s.isMember(p) {
		return
	}
	connected := s.cfg.Host.Network().Connectedness(p) == network.Connected
	keys := make([]string, 0, len(addrs))
	for _, a := range addrs {
		keys = append(keys, a.String())
	}
	slices.Sort(keys)
	key := ""
	for _, k := range keys {
		key += k + " "
	}
	now := time.Now()
	s.mu.Lock()
	last, ok := s.heard[p]
	// A connected member's addresses came with identify (recorded then);
	// only those of members this node is not connected to are written.
	if connected || (ok && last.key == key && now.Sub(last.at) < heardAgain) {
		last.key, last.last = key, now
		s.heard[p] = last
		s.mu.Unlock()
		return
	}
	s.heard[p] = heardSet{key: key, at: now, last: now}
	s.mu.Unlock()
	s.learn(learnt{p: p, source: SourcePresence, addrs: addrs})
}

// learn queues addresses for the book; when the queue is full they are
// dropped (the peerstore has them; the next change brings them again).
func (s *Service) learn(l learnt) {
	select {
	case s.learnt <- l:
	default:
		s.mu.Lock()
		delete(s.heard, l.p) // so the next heartbeat is recorded
		s.mu.Unlock()
	}
}

// learnLoop writes learnt addresses into the book.
func (s *Service) learnLoop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case l := <-s.learnt:
			ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
			if err := s.book.Record(ctx, l.p, l.source, l.addrs); err != nil && s.ctx.Err() == nil {
				s.cfg.Log.Warn("address book", "err", err)
			}
			cancel()
		}
	}
}

// identified records a member's listen addresses (those usable from
// here) and, for a connection this node opened directly, the address
// that worked.
func (s *Service) identified(sub event.Subscription) {
	defer s.wg.Done()
	defer sub.Close()
	for {
		select {
		case <-s.ctx.Done():
			return
		case e, ok := <-sub.Out():
			if !ok {
				return
			}
			ev := e.(event.EvtPeerIdentificationCompleted)
			if !s.isMember(ev.Peer) {
				continue
			}
			ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
			err := s.book.Record(ctx, ev.Peer, SourceIdentify, s.cfg.Host.UsableFrom(ev.Peer, ev.ListenAddrs))
			if c := ev.Conn; err == nil && c != nil && p2p.LinkOf(c.RemoteMultiaddr()) == p2p.LinkDirect && c.Stat().Direction == network.DirOutbound {
				err = s.book.Succeeded(ctx, ev.Peer, c.RemoteMultiaddr())
			}
			if err != nil && s.ctx.Err() == nil {
				s.cfg.Log.Warn("address book", "err", err)
			}
			cancel()
		}
	}
}
