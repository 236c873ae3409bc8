package p2p

import (
	"fmt"
	"sync"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// NegotiatingStreamsPerPeer is how many inbound streams one peer may have
// open at once that have not named their protocol yet (multistream
// negotiation under way, up to libp2p's negotiation timeout of 10 s).
// Such streams sit in the resource manager's transient scope, whose 512
// inbound streams all peers share, and rcmgr has no per-peer limit
// inside it: PeerStreamsInbound (256) alone let two members hold all of
// it, and every other member's new streams were refused meanwhile. With
// this limit eight peers are needed to fill it. An honest peer's stream
// names its protocol in its first bytes, so it is in negotiation for a
// round trip only (records/2026-12-01-s16-bounds.md).
const NegotiatingStreamsPerPeer = 64

// negotiationLimiter is the node's resource manager with a per-peer
// limit on inbound streams in negotiation: OpenStream refuses a peer's
// inbound stream while NegotiatingStreamsPerPeer of its streams have
// not named a protocol (the swarm resets it, as for any limit). A
// stream counts until its scope's SetProtocol or Done, whichever comes
// first.
type negotiationLimiter struct {
	network.ResourceManager
	perPeer int
	mu      sync.Mutex
	open    map[peer.ID]int
}

func limitNegotiating(rm network.ResourceManager, perPeer int) *negotiationLimiter {
	return &negotiationLimiter{ResourceManager: rm, perPeer: perPeer, open: map[peer.ID]int{}}
}

func (l *negotiationLimiter) OpenStream(p peer.ID, dir network.Direction) (network.StreamManagementScope, error) {
	if dir != network.DirInbound {
		return l.ResourceManager.OpenStream(p, dir)
	}
	l.mu.Lock()
	if l.open[p] >= l.perPeer {
		l.mu.Unlock()
		return nil, fmt.Errorf("peer %s: %d inbound streams in protocol negotiation: %w", p, l.perPeer, network.ErrResourceLimitExceeded)
	}
	l.open[p]++
	l.mu.Unlock()
	s, err := l.ResourceManager.OpenStream(p, dir)
	if err != nil {
		l.release(p)
		return nil, err
	}
	return &negotiatingScope{StreamManagementScope: s, l: l, p: p}, nil
}

func (l *negotiationLimiter) release(p peer.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[p]--; l.open[p] <= 0 {
		delete(l.open, p)
	}
}

// negotiating is how many inbound streams of p are in negotiation (tests).
func (l *negotiationLimiter) negotiating(p peer.ID) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open[p]
}

// negotiatingScope is an inbound stream's scope, counted against its
// peer until it names a protocol or ends.
type negotiatingScope struct {
	network.StreamManagementScope
	l    *negotiationLimiter
	p    peer.ID
	once sync.Once
}

func (s *negotiatingScope) named() { s.once.Do(func() { s.l.release(s.p) }) }

func (s *negotiatingScope) SetProtocol(proto protocol.ID) error {
	defer s.named()
	return s.StreamManagementScope.SetProtocol(proto)
}

func (s *negotiatingScope) Done() {
	s.named()
	s.StreamManagementScope.Done()
}
