package presence

import (
	"context"
	"fmt"
	"time"

	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// directTimeout bounds one direct presence message, both ways.
const directTimeout = 5 * time.Second

// maxDirect bounds the direct messages being sent at once (a node that
// starts in a large workgroup meets every member at once).
const maxDirect = 16

// tellDirectly sends this node's presence in wg to peer p over
// /peerhood/presence/1, on the connection that already exists.
// With withSnapshot, the signed messages of the members this node sees
// present follow (the peer asked: it was alone on the topic).
func (s *Service) tellDirectly(ctx context.Context, wg string, t *topicState, p peer.ID, withSnapshot bool) {
	if p == s.self {
		return
	}
	s.mu.Lock()
	if s.closing {
		// Close waits for the senders it knows of; one started now
		// (from a stream handler, not counted) could outlive it.
		s.mu.Unlock()
		return
	}
	m := s.messageLocked(wg, t, s.shownLocked())
	// An answer with a snapshot does not ask for one back.
	m.Want = !withSnapshot && t.wantLeft > 0 && time.Now().Before(t.wantUntil)
	if m.Want {
		t.wantLeft--
	}
	var snap [][]byte
	if withSnapshot {
		snap = s.snapshotLocked(wg, t, p)
	}
	s.wg.Add(1) // under mu, before Close can set closing and wait
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		select {
		case s.direct <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-s.direct }()
		ctx, cancel := context.WithTimeout(ctx, directTimeout)
		defer cancel()
		st, err := s.cfg.Host.NewStream(network.WithNoDial(ctx, "presence"), p, p2p.ProtoPresence)
		if err != nil {
			s.cfg.Log.Debug("presence: direct", "peer", p, "err", err)
			return
		}
		defer st.Close()
		_ = st.SetDeadline(time.Now().Add(directTimeout))
		if err := wire.WriteFrame(st, m); err != nil {
			_ = st.Reset()
			s.cfg.Log.Debug("presence: direct", "peer", p, "err", err)
			return
		}
		for _, b := range snap {
			if err := wire.WriteFrame(st, b); err != nil {
				_ = st.Reset()
				s.cfg.Log.Debug("presence: direct snapshot", "peer", p, "err", err)
				return
			}
		}
	}()
}

// handleDirect reads one member's own presence (guarded: the sender is
// a member of some workgroup of this node). The message counts only for
// a workgroup both are in; its author is the stream's remote peer.
// The handler is the service's work: counted in wg under mu while not
// closing (else its stream is reset unread), its stream reset when the
// service's context ends, so Close waits for it and nothing is read
// once Close returned.
func (s *Service) handleDirect(st network.Stream) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		_ = st.Reset()
		return
	}
	s.wg.Add(1) // under mu, before Close can set closing and wait
	s.mu.Unlock()
	defer s.wg.Done()
	defer st.Close()
	defer context.AfterFunc(s.ctx, func() { _ = st.Reset() })()
	_ = st.SetDeadline(time.Now().Add(directTimeout))
	author := st.Conn().RemotePeer()
	rd := wire.NewReader(st, maxSignedFrame+16)
	b, err := rd.ReadFrameBytes()
	if err != nil {
		s.cfg.Log.Debug("presence: direct from", "peer", author, "err", err)
		_ = st.Reset()
		return
	}
	m, err := decode(b)
	if err == nil && !plausibleSeq(m.Seq, time.Now()) {
		err = fmt.Errorf("presence message: sequence number %d is ahead of the clock", m.Seq)
	}
	if err != nil {
		s.cfg.Log.Debug("presence: direct from", "peer", author, "err", err)
		_ = st.Reset()
		return
	}
	if _, ok := s.cfg.Dir.Member(m.Workgroup, author); !ok {
		s.cfg.Log.Debug("presence: direct message for a workgroup its sender is not in", "peer", author, "workgroup", m.Workgroup)
		_ = st.Reset()
		return
	}
	s.mu.Lock()
	t := s.topics[m.Workgroup]
	s.mu.Unlock()
	if t == nil {
		return
	}
	m.Gone = nil // reports of others travel on the topic only
	want := m.Want
	s.heardFrom(t, author, m, nil)
	s.readSnapshot(st, rd, m.Workgroup, t)
	if want && s.snapshotDue(t, author) {
		s.tellDirectly(s.ctx, m.Workgroup, t, author, true)
	}
}

// addrTTL is how long addresses heard in a presence message stay in the
// peerstore at least; heartbeats renew them.
const addrTTL = 5 * time.Minute

// advertisedAddrs returns this node's addresses to announce: up to
// maxAddrs, relay circuits last.
func (s *Service) advertisedAddrs() [][]byte {
	var direct, relayed [][]byte
	for _, a := range s.cfg.Host.Host.Addrs() {
		b := a.Bytes()
		if len(b) > maxAddrSize {
			continue
		}
		if _, err := a.ValueForProtocol(ma.P_CIRCUIT); err == nil {
			relayed = append(relayed, b)
		} else {
			direct = append(direct, b)
		}
	}
	out := append(direct, relayed...)
	if len(out) > maxAddrs {
		out = out[:maxAddrs]
	}
	return out
}

// SetAddrSink installs f, told the addresses (usable from this node) a
// member announces in each of its messages; f must be quick.
func (s *Service) SetAddrSink(f func(peer.ID, []ma.Multiaddr)) { s.addrSink.Store(&f) }

// heardFrom applies message m of author, received on the topic or
// directly: its state, the members it reports gone, its addresses.
// raw is the signed gossip message that brought it (nil: it came
// directly), kept for snapshots.
func (s *Service) heardFrom(t *topicState, author peer.ID, m message, raw *pb.Message) {
	// Only addresses this node can use: another machine's loopback
	// reaches nothing (or this node itself).
	if addrs := s.cfg.Host.UsableFrom(author, m.addrs()); len(addrs) > 0 {
		// Kept until the member's next heartbeat is overdue (up to 30 min
		// in a large workgroup), at least addrTTL.
		s.cfg.Host.Peerstore().AddAddrs(author, addrs, max(addrTTL, Timeout(m.interval())))
		if f := s.addrSink.Load(); f != nil {
			(*f)(author, addrs)
		}
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(t.pending, author)
	s.applyLocked(t, author, m, now, raw)
	gone := m.gone()
	s.goneReportedLocked(t, author, gone)
	s.refuteLocked(gone)
}
