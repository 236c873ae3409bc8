package p2p

import (
	"container/list"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// Inbound streams in protocol negotiation (doc.go, "Streams in
// negotiation"; records/2026-12-01-s17-negslots.md). From the moment a
// peer opens a stream until it has named its protocol (multistream,
// up to libp2p's negotiation timeout of 10 s), the stream sits in the
// resource manager's transient scope, whose TransientStreamsInbound
// slots all peers share; rcmgr has no per-peer limit inside it, so two
// members at PeerStreamsInbound (256) each could hold all of it with
// streams that never negotiate, and every other peer's new streams were
// refused. A count per peer cannot tell such a hold from an honest
// burst (hundreds of tunnel connections at once, each a stream), so the
// guard refuses by age instead: when the slots are nearly full, a new
// inbound stream first resets the oldest stream still negotiating of
// the peer holding the most streams negotiating for longer than
// NegotiationGrace (or, none being that old, the most streams).
const (
	// TransientStreamsInbound is how many inbound streams may be in
	// protocol negotiation at once, all peers together (the transient
	// scope's limit, limits.go).
	TransientStreamsInbound = 512
	// NegotiationHeadroom is how far below TransientStreamsInbound the
	// guard starts resetting streams in negotiation: it leaves room for
	// the streams that arrive while a victim is chosen.
	NegotiationHeadroom = 32
	// NegotiationGrace is how long a stream may negotiate before it
	// counts as held: an honest peer names its protocol in its first
	// bytes, within a round trip.
	NegotiationGrace = time.Second
)

// negotiationGuard is the node's resource manager, which it wraps to
// see inbound streams open (OpenStream), name their protocol
// (SetProtocol) and end (Done), and the swarm's stream handler, which
// it wraps to get hold of each stream (to reset it). One peer alone
// never triggers it: PeerStreamsInbound is below the mark.
type negotiationGuard struct {
	network.ResourceManager
	mark  int           // reset streams while this many are negotiating
	grace time.Duration // older than this, a stream counts as held
	now   func() time.Time

	mu    sync.Mutex
	peers map[peer.ID]*list.List // of *negScope, oldest first
	n     int                    // streams in peers

	evicted atomic.Int64 // streams reset by the guard
}

func guardNegotiation(rm network.ResourceManager) *negotiationGuard {
	return &negotiationGuard{
		ResourceManager: rm,
		mark:            TransientStreamsInbound - NegotiationHeadroom,
		grace:           NegotiationGrace,
		now:             time.Now,
		peers:           map[peer.ID]*list.List{},
	}
}

// watch wraps n's stream handler (the basic host's, which negotiates
// the protocol) so that each inbound stream is known to the guard.
// Call it before n listens.
func (g *negotiationGuard) watch(n network.Network) error {
	sw, ok := n.(interface {
		StreamHandler() network.StreamHandler
		SetStreamHandler(network.StreamHandler)
	})
	if !ok {
		return fmt.Errorf("guard streams in negotiation: network %T has no stream handler to wrap", n)
	}
	next := sw.StreamHandler()
	sw.SetStreamHandler(func(st network.Stream) {
		if sc, ok := st.Scope().(*negScope); ok && sc.g == g {
			g.attach(sc, st)
		}
		if next != nil {
			next(st)
		}
	})
	return nil
}

// OpenStream makes room first when an inbound stream arrives with the
// slots nearly full, then opens it as the wrapped resource manager
// does, counting it until it names a protocol or ends.
func (g *negotiationGuard) OpenStream(p peer.ID, dir network.Direction) (network.StreamManagementScope, error) {
	if dir != network.DirInbound {
		return g.ResourceManager.OpenStream(p, dir)
	}
	g.relieve()
	s, err := g.ResourceManager.OpenStream(p, dir)
	if err != nil {
		return nil, err
	}
	sc := &negScope{StreamManagementScope: s, g: g, p: p, opened: g.now()}
	g.mu.Lock()
	l := g.peers[p]
	if l == nil {
		l = list.New()
		g.peers[p] = l
	}
	sc.elem = l.PushBack(sc)
	g.n++
	g.mu.Unlock()
	return sc, nil
}

// relieve resets streams in negotiation while at least mark of them
// are open (a few at most: one per arrival keeps the level). Each
// victim's slot is released at once, before the stream's handler has
// seen the reset and returned (when the swarm releases it).
func (g *negotiationGuard) relieve() {
	for range 4 {
		sc := g.pickVictim()
		if sc == nil {
			return
		}
		g.evicted.Add(1)
		sc.release()
		_ = sc.st.ResetWithError(network.StreamResourceLimitExceeded)
	}
}

// pickVictim takes out of the lists, when at least mark streams are
// negotiating, the oldest one of the peer with the most streams older
// than grace (most streams overall when none is that old), and returns
// it; nil when below the mark or no stream is known to the handler yet.
func (g *negotiationGuard) pickVictim() *negScope {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n < g.mark {
		return nil
	}
	held := g.now().Add(-g.grace)
	var best *list.List
	bestOld := -1
	for _, l := range g.peers {
		old := 0
		for el := l.Front(); el != nil && !el.Value.(*negScope).opened.After(held); el = el.Next() {
			old++
		}
		if old > bestOld || old == bestOld && l.Len() > best.Len() {
			best, bestOld = l, old
		}
	}
	if best == nil {
		return nil
	}
	for el := best.Front(); el != nil; el = el.Next() {
		if sc := el.Value.(*negScope); sc.st != nil {
			sc.reset = true
			g.dropLocked(sc)
			return sc
		}
	}
	return nil
}

// attach records st as sc's stream, unless sc is out of the lists.
func (g *negotiationGuard) attach(sc *negScope, st network.Stream) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if sc.elem != nil {
		sc.st = st
	}
}

// drop takes sc out of the lists (named its protocol or ended); it
// reports false when the guard reset it.
func (g *negotiationGuard) drop(sc *negScope) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.dropLocked(sc)
	return !sc.reset
}

func (g *negotiationGuard) dropLocked(sc *negScope) {
	if sc.elem == nil {
		return
	}
	l := g.peers[sc.p]
	l.Remove(sc.elem)
	sc.elem = nil
	g.n--
	if l.Len() == 0 {
		delete(g.peers, sc.p)
	}
}

// negotiating is how many inbound streams are in negotiation (tests,
// /metrics: negmetrics.go).
func (g *negotiationGuard) negotiating() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n
}

// negScope is an inbound stream's scope, known to the guard until the
// stream names a protocol or ends. Fields but done are guarded by g.mu.
type negScope struct {
	network.StreamManagementScope
	g      *negotiationGuard
	p      peer.ID
	opened time.Time
	st     network.Stream // nil until the stream handler runs
	elem   *list.Element  // nil once out of the guard's lists
	reset  bool           // reset by the guard
	done   sync.Once      // the wrapped scope released
}

// release releases the wrapped scope (once).
func (sc *negScope) release() { sc.done.Do(sc.StreamManagementScope.Done) }

// SetProtocol ends the stream's negotiation; a stream the guard reset
// meanwhile is refused (the basic host resets it, as over any limit).
func (sc *negScope) SetProtocol(proto protocol.ID) error {
	if !sc.g.drop(sc) {
		return fmt.Errorf("stream of %s reset in protocol negotiation: %w", sc.p, network.ErrResourceLimitExceeded)
	}
	return sc.StreamManagementScope.SetProtocol(proto)
}

func (sc *negScope) Done() {
	sc.g.drop(sc)
	sc.release()
}
