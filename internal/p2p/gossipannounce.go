package p2p

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"google.golang.org/protobuf/proto"
)

// Re-announcing subscriptions (see doc.go, "Lost subscriptions").
//
// gossipsub (v0.19.0) forgets a peer's subscriptions whenever its own
// writer stream to that peer dies, and learns them again only from the
// hello on the peer's next writer. When the peer's new hello is applied
// before the death (ResetGossip resets both ways at once; the two reach
// the router's event loop from two goroutines), the subscriptions are
// wiped and nothing sends them again. So this node sends its
// subscriptions again, on its current writer to a peer, whenever it may
// have been forgotten there:
//
//   - when the peer opens a new writer to this node: gossipsub opens it
//     right after forgetting this node's subscriptions (the writer died),
//     so what is sent now is applied after the forgetting: the race is
//     closed, not narrowed;
//   - reannounceAfterOpen after this node opens a new writer (the peer
//     forgets, on its side, when this node's old writer closes: that can
//     in turn be applied after the new hello);
//   - periodically (the host's ping loop, every 20 s), a safety net: to a
//     peer 20 s after a writer to or from it opened, then at gaps that
//     double up to reannounceMaxGap (2 min) while no writer opens
//     (reannounceDue). It was every 20 s to every peer: 2 frames a second
//     each way for an idle member of 20, for orderings the two causal
//     paths above already cover.
//
// Nothing is reset or dialled: the frame rides the writer gossipsub has.

// reannounceAfterOpen is how long after a writer opens its subscriptions
// are sent again on it.
const reannounceAfterOpen = time.Second

// The periodic re-announce to a peer: reannounceMinGap after a writer
// to or from it opened, the gap doubling each time up to
// reannounceMaxGap.
const (
	reannounceMinGap = 20 * time.Second
	reannounceMaxGap = 2 * time.Minute
)

// reannounceTimeout bounds the write of one re-announce.
const reannounceTimeout = 10 * time.Second

// gossipWriters follows one router's writer streams, one per peer.
type gossipWriters struct {
	ps atomic.Pointer[pubsub.PubSub]
	// allowTopic is the gate's check (gater.allowTopic): topic "" for
	// whether p is heard at all, a topic for whether p may know of this
	// node's subscription to it (gossipsubs.go).
	allowTopic func(p peer.ID, topic string) bool
	// afterOpen is reannounceAfterOpen and onInbound true; tests turn
	// either off (afterOpen 0) before the router starts.
	afterOpen time.Duration
	onInbound bool
	sweeping  atomic.Bool // a reannounceAll round is under way
	mu        sync.Mutex
	out       map[peer.ID]*gossipStream
	due       map[peer.ID]reannounceDue // the periodic re-announce per peer (under mu)
	hold      gossipHold
	// failOpens is a test hook: that many of the next writer opens fail
	// as if their connection had closed under them (TestGossipWriterReopens).
	failOpens atomic.Int32
}

// errOpenFailed is failOpens' error.
var errOpenFailed = errors.New("gossip writer: connection closed while opening (test)")

// open opens a writer stream to p on h (failOpens aside).
func (w *gossipWriters) open(ctx context.Context, h host.Host, p peer.ID, pids []protocol.ID) (network.Stream, error) {
	if w.failOpens.Load() > 0 && w.failOpens.Add(-1) >= 0 {
		return nil, errOpenFailed
	}
	return h.NewStream(ctx, p, pids...)
}

// reannounceDue is when a peer's next periodic re-announce is due (zero:
// at the next sweep) and the gap after it.
type reannounceDue struct {
	at  time.Time
	gap time.Duration
}

func newGossipWriters(allowTopic func(peer.ID, string) bool) *gossipWriters {
	return &gossipWriters{allowTopic: allowTopic, afterOpen: reannounceAfterOpen, onInbound: true,
		out: make(map[peer.ID]*gossipStream), due: make(map[peer.ID]reannounceDue)}
}

// writerOpened restarts p's periodic re-announces: a writer opened to or
// from p is when a subscription can be lost.
func (w *gossipWriters) writerOpened(p peer.ID) {
	w.mu.Lock()
	w.due[p] = reannounceDue{}
	w.mu.Unlock()
}

// duePeers lists the peers with a writer whose periodic re-announce is
// due at now (within slack: the sweep runs every 20 s) and schedules
// their next one.
func (w *gossipWriters) duePeers(now time.Time, slack time.Duration) []peer.ID {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []peer.ID
	for p := range w.out {
		d := w.due[p]
		if d.at.After(now.Add(slack)) {
			continue
		}
		out = append(out, p)
		d.gap = min(max(2*d.gap, reannounceMinGap), reannounceMaxGap)
		if d.at.IsZero() {
			d.gap = reannounceMinGap
		}
		d.at = now.Add(d.gap)
		w.due[p] = d
	}
	for p := range w.due {
		if w.out[p] == nil {
			delete(w.due, p)
		}
	}
	return out
}

// opened wraps s, a writer the router has just opened, and records it as
// the writer to its peer.
func (w *gossipWriters) opened(s network.Stream) network.Stream {
	p := s.Conn().RemotePeer()
	gs := &gossipStream{Stream: s, w: w, p: p}
	w.mu.Lock()
	w.out[p] = gs
	w.due[p] = reannounceDue{}
	w.mu.Unlock()
	w.hold.opened(p)
	if w.afterOpen > 0 {
		time.AfterFunc(w.afterOpen, func() { w.reannounce(p) })
	}
	return gs
}

// closed forgets s once the router is done with it.
func (w *gossipWriters) closed(s *gossipStream) {
	p := s.Conn().RemotePeer()
	w.mu.Lock()
	if w.out[p] == s {
		delete(w.out, p)
	}
	w.mu.Unlock()
}

// inbound wraps the router's handler of new streams: a peer that opens a
// writer to this node has forgotten this node's subscriptions (if it knew
// them), so they are sent again.
func (w *gossipWriters) inbound(fn network.StreamHandler) network.StreamHandler {
	return func(s network.Stream) {
		p := s.Conn().RemotePeer()
		w.writerOpened(p)
		if w.onInbound {
			go w.reannounce(p)
		}
		fn(s)
	}
}

// reannounce sends this node's subscriptions again to p on the router's
// writer to p, if it has one that has sent its hello.
func (w *gossipWriters) reannounce(p peer.ID) {
	ps := w.ps.Load()
	if ps == nil || !w.allowTopic(p, "") {
		return
	}
	w.mu.Lock()
	s := w.out[p]
	w.mu.Unlock()
	if s != nil {
		s.reannounce(ps)
	}
}

// gossipStream is a router's writer to one peer. Writes are serialised
// so a re-announce goes between two of the router's frames, never inside
// one; frames tracks where a frame ends.
type gossipStream struct {
	network.Stream
	w      *gossipWriters
	p      peer.ID // the peer written to
	mu     sync.Mutex
	wrote  bool // the router has written its first frame (the hello)
	dead   bool
	frames frameTracker
	// deadline is the write deadline last set on Stream (SetWriteDeadline).
	deadline time.Time
}

// deadlineSlack is how much earlier than asked a write deadline may stay:
// the router asks for one 30 s ahead before every frame, and yamux makes
// a timer and a channel for each (about a tenth of a chat member's
// allocations at 500 messages a second); a deadline is moved only when
// the one set is this much earlier than asked, so a frame still has at
// least 25 s.
const deadlineSlack = 5 * time.Second

// SetWriteDeadline sets t unless the deadline set already is less than
// deadlineSlack earlier (see deadlineSlack); a zero t (none) or an
// earlier one is always set.
func (s *gossipStream) SetWriteDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !t.IsZero() && !s.deadline.IsZero() && !t.Before(s.deadline) && t.Sub(s.deadline) < deadlineSlack {
		return nil
	}
	s.deadline = t
	return s.Stream.SetWriteDeadline(t)
}

// Write writes one frame of the router's, without the subscriptions the
// peer may not know of (gossipsubs.go).
func (s *gossipStream) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	frame, err := filterSubscriptions(b, func(topic string) bool { return s.w.allowTopic(s.p, topic) })
	if err != nil || !s.frames.boundary() {
		s.dead = true
		_ = s.Stream.Reset()
		return 0, errGossipFrame
	}
	n, err := s.Stream.Write(frame)
	s.frames.advance(frame[:n])
	if n > 0 {
		s.wrote = true
	}
	if err != nil {
		return 0, err
	}
	return len(b), nil // the caller's frame, as filtered, went whole
}

// Read is only called by the router to learn that the stream died (the
// peer never writes on it).
func (s *gossipStream) Read(b []byte) (int, error) {
	n, err := s.Stream.Read(b)
	if err != nil {
		s.markDead()
		s.w.hold.wait(s.Conn().RemotePeer())
	}
	return n, err
}

func (s *gossipStream) Close() error {
	s.markDead()
	return s.Stream.Close()
}

func (s *gossipStream) Reset() error {
	s.markDead()
	return s.Stream.Reset()
}

func (s *gossipStream) markDead() {
	s.mu.Lock()
	s.dead = true
	s.mu.Unlock()
	s.w.closed(s)
}

// reannounce writes a frame with this node's subscriptions, between two
// of the router's frames and only after its hello (the first frame on a
// stream tells the peer this node's gossipsub extensions: it must be the
// router's). The subscriptions are read while the router's writes wait:
// a change of them the router makes meanwhile is announced by a frame
// queued after this one, so the peer never ends with a stale list.
func (s *gossipStream) reannounce(ps *pubsub.PubSub) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead || !s.wrote || !s.frames.boundary() {
		return
	}
	topics := slices.DeleteFunc(ps.GetTopics(), func(t string) bool { return !s.w.allowTopic(s.p, t) })
	if len(topics) == 0 {
		return
	}
	s.deadline = time.Now().Add(reannounceTimeout)
	_ = s.Stream.SetWriteDeadline(s.deadline)
	frame := subscriptionsFrame(topics)
	n, err := s.Stream.Write(frame)
	s.frames.advance(frame[:n])
	if err != nil {
		// A frame cut short would garble the stream: the router notices
		// the reset and opens a new writer, with a hello.
		s.dead = true
		_ = s.Stream.Reset()
	}
}

// subscriptionsFrame is a gossipsub RPC frame (uvarint length, then the
// RPC) subscribing to topics.
func subscriptionsFrame(topics []string) []byte {
	slices.Sort(topics)
	rpc := &pb.RPC{Subscriptions: make([]*pb.RPC_SubOpts, len(topics))}
	for i, t := range topics {
		rpc.Subscriptions[i] = &pb.RPC_SubOpts{Subscribe: proto.Bool(true), Topicid: proto.String(t)}
	}
	body, err := proto.Marshal(rpc)
	if err != nil { // strings and bools only: cannot fail
		return nil
	}
	return append(binary.AppendUvarint(make([]byte, 0, len(body)+binary.MaxVarintLen64), uint64(len(body))), body...)
}

// frameTracker follows the frames written on a stream (a uvarint length,
// then that many bytes) to tell when a write would start a new frame.
type frameTracker struct {
	need   uint64 // bytes of the current frame's body still to come
	length uint64 // the length being read
	shift  uint
	inLen  bool // inside a length
	broken bool // a length over 64 bits: never at a boundary again
}

func (f *frameTracker) advance(b []byte) {
	for len(b) > 0 && !f.broken {
		if f.need > 0 {
			k := min(f.need, uint64(len(b)))
			f.need -= k
			b = b[k:]
			continue
		}
		c := b[0]
		b = b[1:]
		if f.shift > 63 {
			f.broken = true
			return
		}
		f.length |= uint64(c&0x7f) << f.shift
		if c < 0x80 {
			f.need, f.length, f.shift, f.inLen = f.length, 0, 0, false
		} else {
			f.shift += 7
			f.inLen = true
		}
	}
}

func (f *frameTracker) boundary() bool { return !f.broken && !f.inLen && f.need == 0 }

// gossipHold is a test hook (Host.HoldGossipDeath): it delays a router's
// learning that its writer to a peer died until the router has received
// an RPC carrying subscriptions from that peer, the ordering that lost
// them, and tells when the router has then opened a new writer to it.
type gossipHold struct {
	armed atomic.Int32
	mu    sync.Mutex
	peers map[peer.ID]*holdState
}

type holdState struct {
	seen     chan struct{} // closed once an RPC with subscriptions came
	seenDone bool
	released bool          // the death has been let through
	reopened chan struct{} // closed when the next writer opens after it
}

// holdMax bounds a hold: a test that never sees the hello goes on.
const holdMax = 10 * time.Second

func (h *gossipHold) arm(p peer.ID) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.peers == nil {
		h.peers = make(map[peer.ID]*holdState)
	}
	if _, ok := h.peers[p]; !ok {
		h.armed.Add(1)
	}
	st := &holdState{seen: make(chan struct{}), reopened: make(chan struct{})}
	h.peers[p] = st
	return st.reopened
}

// sawRPC runs for every RPC the router receives, on its event loop,
// before it applies it.
func (h *gossipHold) sawRPC(p peer.ID, rpc *pubsub.RPC) {
	if h.armed.Load() == 0 || len(rpc.GetSubscriptions()) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if st, ok := h.peers[p]; ok && !st.seenDone {
		st.seenDone = true
		close(st.seen)
	}
}

// wait runs when the router's writer to p died, before the router
// learns it.
func (h *gossipHold) wait(p peer.ID) {
	if h.armed.Load() == 0 {
		return
	}
	h.mu.Lock()
	st, ok := h.peers[p]
	h.mu.Unlock()
	if !ok || st.released {
		return
	}
	select {
	case <-st.seen:
	case <-time.After(holdMax):
	}
	h.mu.Lock()
	st.released = true
	h.mu.Unlock()
}

// opened runs when the router opens a writer to p.
func (h *gossipHold) opened(p peer.ID) {
	if h.armed.Load() == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if st, ok := h.peers[p]; ok && st.released {
		close(st.reopened)
		delete(h.peers, p)
		h.armed.Add(-1)
	}
}

// reannounceSlack: a periodic re-announce due this soon is sent in the
// sweep at hand (sweeps are 20 s apart).
const reannounceSlack = time.Second

// reannounceAll sends this node's subscriptions again to every peer both
// routers have a writer to whose periodic re-announce is due
// (duePeers), in the background (a writer blocked on a peer that does
// not read holds its re-announce up to the write deadline): one round
// per router at a time.
func (h *Host) reannounceAll() {
	for _, w := range []*gossipWriters{h.gossipW, h.chatGossipW} {
		if !w.sweeping.CompareAndSwap(false, true) {
			continue
		}
		go func() {
			defer w.sweeping.Store(false)
			for _, p := range w.duePeers(time.Now(), reannounceSlack) {
				w.reannounce(p)
			}
		}()
	}
}

// HoldGossipDeath is for tests of the ordering that lost subscriptions
// (docs/design/records/2026-11-30-s7-gossipreset.md): the next time a
// router of this host learns that its writer to p died, it learns it
// only once it has received from p an RPC carrying subscriptions (p's
// hello on a new writer), or after 10 s. So after p calls
// ResetGossip(this node), p's fresh hello is applied here before the
// death of this node's writer, which makes gossipsub forget it.
// The returned channel closes once both routers have opened a new writer
// to p after that (so gossipsub has forgotten p's subscriptions there).
func (h *Host) HoldGossipDeath(p peer.ID) <-chan struct{} {
	a, b := h.gossipW.hold.arm(p), h.chatGossipW.hold.arm(p)
	done := make(chan struct{})
	go func() {
		<-a
		<-b
		close(done)
	}()
	return done
}
