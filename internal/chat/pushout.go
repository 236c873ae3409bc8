package chat

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
)

const (
	// pushMaxPeers is the largest room (topic peers) whose messages are
	// pushed: above it the author's uplink would carry one copy per
	// member, and gossip's mesh spreads the load.
	pushMaxPeers = 32
	// pushQueue bounds the frames waiting for one peer's writer; a full
	// queue sends the message by gossip.
	pushQueue = 1024
	// pushIdle is how long a writer with nothing to send keeps its stream.
	pushIdle = 30 * time.Second
	// pushOpenTimeout bounds opening a push stream.
	pushOpenTimeout = 5 * time.Second
	// pushWriteTimeout bounds a write: a peer that stops reading fails
	// the stream (its messages then go by gossip and history).
	pushWriteTimeout = 15 * time.Second
	// pushBackoffMin and pushBackoffMax bound the wait before a push
	// stream is opened again after a failure (doubling).
	pushBackoffMin = time.Second
	pushBackoffMax = 30 * time.Second
	// pushWriteBuf is the writer's buffer: frames queued meanwhile go
	// out in one write.
	pushWriteBuf = 32 << 10
	// pushProtoCache is how long a peer's writer trusts that the peer
	// serves the push protocol once the peerstore said so (asked per
	// message, the peerstore cost ~0.8 us per peer: BenchmarkPushFrames).
	// A peer that stopped serving it meanwhile refuses the stream: the
	// writer fails, its frames go by gossip.
	pushProtoCache = 10 * time.Second
)

// pushFrame is one own message waiting for a peer's writer.
type pushFrame struct {
	k logKey
	m *msg
}

// pushOut is the writer of one peer's push stream.
type pushOut struct {
	s *Service
	p peer.ID
	q chan pushFrame
	// brokenUntil (Unix ns): the stream failed; until then messages go
	// by gossip and the writer does not open a stream.
	brokenUntil atomic.Int64
	backoff     time.Duration
	// protoUntil (Unix ns, under push.mu): until then the peer is taken
	// to serve the push protocol without asking the peerstore.
	protoUntil int64
	st         network.Stream
	bw         *bufio.Writer
	deadline   time.Time   // the write deadline last set on st
	unhook     func() bool // stops resetting st when the service stops
	pending    []pushFrame
	// last is when send last ran: the idle timer is not reset per send
	// (a timer reset per peer per message), it checks last when it fires.
	last time.Time
}

// fanout delivers this node's own message m of log k: pushed to each
// topic peer of a room that is allowed in it now, and published on
// gossip when some member may not get it by push (pushPlan).
func (s *Service) fanout(ctx context.Context, k logKey, m *msg) {
	if k.log == "" {
		s.publish(ctx, k, m) // the room directory: gossip only
		return
	}
	if s.push.off.Load() || !s.pushAll(k, m) {
		s.push.n.Gossip.Inc()
		s.publish(ctx, k, m)
	}
}

// pushAll pushes m to every topic peer of room k allowed in it and
// reports whether that reaches every member that may be waiting for it:
// false when the room has more than pushMaxPeers topic peers (nothing
// pushed), a topic peer lacks the push protocol (an older version), its
// stream is broken or its queue full, or a member allowed in the room
// that is not known offline is not connected to this node (it may
// subscribe through others).
func (s *Service) pushAll(k logKey, m *msg) bool {
	s.mu.Lock()
	t := s.topics[k]
	s.mu.Unlock()
	if t == nil {
		return false
	}
	ps := t.peerList()
	if len(ps) > pushMaxPeers {
		return false
	}
	allowed, room := s.pushAllowed(k, ps)
	if room == nil {
		return false
	}
	all := true
	f := pushFrame{k, m}
	now := time.Now().UnixNano()
	s.push.mu.Lock()
	for i, p := range ps {
		if !allowed[i] {
			continue // refused the topic: nothing to deliver to it
		}
		if s.cut(p) { // a test's partition: only through others
			all = false
			continue
		}
		if !s.canPushLocked(p, now) || !s.pushOutLocked(p).enqueue(f, now) {
			all = false
		}
	}
	s.push.mu.Unlock()
	return all && !s.unreachableMember(k)
}

// pushAllowed reports which of ps (at most pushMaxPeers) are allowed in
// room k now, through the access cache (admitcache.go: a roster lookup
// per peer per message otherwise), and the room's state (nil: no such
// room here, nobody allowed).
func (s *Service) pushAllowed(k logKey, ps []peer.ID) (allowed [pushMaxPeers]bool, room *roomState) {
	gen, cached := s.dirGen()     // before the room and the answers
	room = s.roomsOf(k.wg)[k.log] // as Say judged it
	if room == nil {
		return allowed, nil
	}
	for i, p := range ps[:min(len(ps), pushMaxPeers)] {
		_, allowed[i] = s.admitsIn(k, room, gen, cached, p)
	}
	return allowed, room
}

// canPushLocked reports whether p's node serves the push protocol
// (identify told the peerstore), asking the peerstore at most every
// pushProtoCache while it says yes (push.mu held; now in Unix ns).
func (s *Service) canPushLocked(p peer.ID, now int64) bool {
	o := s.push.out[p]
	if o != nil && now < o.protoUntil {
		return true
	}
	ok, err := s.cfg.Host.Peerstore().SupportsProtocols(p, p2p.ProtoChatPush)
	if err != nil || len(ok) == 0 {
		return false
	}
	if o == nil {
		if o = s.pushOutLocked(p); o == nil {
			return false // closing
		}
	}
	o.protoUntil = now + int64(pushProtoCache)
	return true
}

// unreachableMember reports whether a member allowed in room k, not
// known to be offline, is not connected to this node: it may be in the
// room through other members, so the message goes by gossip too. The
// answer is kept for reachCache.
func (s *Service) unreachableMember(k logKey) bool {
	now := time.Now()
	s.push.mu.Lock()
	c, ok := s.push.reach[k]
	s.push.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.unreachable
	}
	pr, _ := s.dir.(PresenceReader)
	unreachable := false
	nw := s.cfg.Host.Network()
	for _, mb := range s.dir.Members(k.wg) {
		p := mb.PeerID
		if p == s.self || nw.Connectedness(p) == network.Connected && !s.cut(p) {
			continue
		}
		if pr != nil && pr.PresenceOf(k.wg, p) == "offline" {
			continue // history sync brings it everything when it returns
		}
		if s.allowed(k.wg, k.log, p) {
			unreachable = true
			break
		}
	}
	s.push.mu.Lock()
	s.push.reach[k] = reachAnswer{unreachable, now.Add(reachCache)}
	s.push.mu.Unlock()
	return unreachable
}

// reachCache is how long unreachableMember's answer is kept (a member
// that comes online meanwhile joins the topic, and is synced with).
const reachCache = time.Second

type reachAnswer struct {
	unreachable bool
	until       time.Time
}

// pushOutLocked returns p's writer, started when missing (push.mu held);
// nil when missing and the service is closing (a Say, an API call, asks
// outside the service's goroutines: a writer Close did not wait for
// would outlive it).
func (s *Service) pushOutLocked(p peer.ID) *pushOut {
	o := s.push.out[p]
	if o == nil {
		if !s.add(1) {
			return nil
		}
		o = &pushOut{s: s, p: p, q: make(chan pushFrame, pushQueue)}
		s.push.out[p] = o
		go o.run()
	}
	return o
}

// enqueue hands f to the writer; false when there is none (nil: the
// service is closing), the stream is broken (at now, Unix ns: one clock
// read per message, not per peer) or the queue full (the caller
// publishes on gossip).
func (o *pushOut) enqueue(f pushFrame, now int64) bool {
	if o == nil || now < o.brokenUntil.Load() {
		return false
	}
	select {
	case o.q <- f:
		return true
	default:
		return false
	}
}

// run writes queued frames until the service stops or the writer has
// been idle pushIdle.
func (o *pushOut) run() {
	defer o.s.wg.Done()
	o.last = time.Now()
	idle := time.NewTimer(pushIdle)
	defer idle.Stop()
	for {
		select {
		case <-o.s.ctx.Done():
			o.closeStream()
			return
		case <-idle.C:
			if wait := idleWait(o.last, time.Now()); wait > 0 {
				idle.Reset(wait) // sent meanwhile: idle since last
				continue
			}
			if o.retire() {
				return
			}
			idle.Reset(pushIdle)
			continue
		case f := <-o.q:
			o.pending = append(o.pending[:0], f)
		}
		o.send()
	}
}

// idleWait is how much longer a writer that last sent at last waits at
// now before it retires (0: retire now).
func idleWait(last, now time.Time) time.Duration {
	return max(pushIdle-now.Sub(last), 0)
}

// retire ends an idle writer: it leaves the map while nothing is queued
// (under push.mu, so no frame is enqueued to a writer gone).
func (o *pushOut) retire() bool {
	o.s.push.mu.Lock()
	defer o.s.push.mu.Unlock()
	if len(o.q) > 0 {
		return false
	}
	delete(o.s.push.out, o.p)
	o.closeStream()
	return true
}

// send writes the pending frames and every frame queued meanwhile, then
// flushes: a burst goes out in few writes. On failure what was not
// flushed goes by gossip, the stream is reset, and the peer's reader
// syncs the room with this node (servePush).
func (o *pushOut) send() {
	now := time.Now() // one clock read per send
	o.last = now
	if now.UnixNano() < o.brokenUntil.Load() {
		o.fail(nil)
		return
	}
	if o.st == nil {
		if err := o.open(); err != nil {
			o.fail(err)
			return
		}
		now = time.Now() // opening may have taken pushOpenTimeout
	}
	if o.deadline.Sub(now) < pushWriteTimeout-5*time.Second {
		o.deadline = now.Add(pushWriteTimeout) // moved seldom: yamux makes a timer per call
		_ = o.st.SetWriteDeadline(o.deadline)
	}
	for i := 0; ; i++ {
		if i == len(o.pending) {
			select {
			case f := <-o.q:
				o.pending = append(o.pending, f)
			default:
			}
		}
		if i == len(o.pending) {
			break
		}
		raw := o.pending[i].m.raw
		// The length straight into bw's free space (a local array
		// passed to Write escaped: one allocation per send).
		if _, err := o.bw.Write(binary.AppendUvarint(o.bw.AvailableBuffer(), uint64(len(raw)))); err != nil {
			o.fail(err)
			return
		}
		if _, err := o.bw.Write(raw); err != nil {
			o.fail(err)
			return
		}
	}
	if err := o.bw.Flush(); err != nil {
		o.fail(err)
		return
	}
	o.s.push.n.Sent.Add(float64(len(o.pending)))
	o.backoff = 0
	clear(o.pending)
	o.pending = o.pending[:0]
}

// open opens the push stream to a connected peer.
func (o *pushOut) open() error {
	ctx, cancel := context.WithTimeout(o.s.ctx, pushOpenTimeout)
	defer cancel()
	st, err := o.s.cfg.Host.NewStream(network.WithNoDial(ctx, "chat push: only connected"), o.p, p2p.ProtoChatPush)
	if err != nil {
		return fmt.Errorf("open push stream: %w", err)
	}
	o.st, o.bw, o.deadline = st, bufio.NewWriterSize(st, pushWriteBuf), time.Time{}
	// A write blocked on a peer that stopped reading must not hold the
	// service's stop.
	o.unhook = context.AfterFunc(o.s.ctx, func() { _ = st.Reset() })
	return nil
}

// fail resets the stream, marks it broken for a backoff, and publishes
// on gossip the frames not delivered and those queued: nothing is lost
// (the peer also syncs the room when its reader sees the stream end).
func (o *pushOut) fail(err error) {
	if err != nil {
		o.backoff = min(max(2*o.backoff, pushBackoffMin), pushBackoffMax)
		o.brokenUntil.Store(time.Now().Add(o.backoff).UnixNano())
		o.s.log.Debug("chat push: stream failed", "peer", o.p, "err", err, "retry in", o.backoff)
	}
	if o.st != nil {
		o.unhook()
		_ = o.st.Reset()
		o.st, o.bw = nil, nil
	}
	for {
		select {
		case f := <-o.q:
			o.pending = append(o.pending, f)
			continue
		default:
		}
		break
	}
	for _, f := range o.pending {
		o.s.push.n.Gossip.Inc()
		o.s.publish(o.s.ctx, f.k, f.m)
	}
	clear(o.pending)
	o.pending = o.pending[:0]
}

// closeStream ends the stream cleanly (the service stops, or idle).
func (o *pushOut) closeStream() {
	if o.st != nil {
		o.unhook()
		_ = o.st.Close()
		o.st, o.bw = nil, nil
	}
}
