package chat

import (
	"context"
	"errors"
	"io"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/peerhood/peerhood/internal/p2p"
)

// PushCounts are a node's push counters and the gossip it took.
type PushCounts struct {
	New, Dup, Sent, Gossip   float64 // push.go's counters (p2p.ChatPushCounters)
	GossipIn, GossipOfPushed int64   // messages taken by gossip; gossip copies of pushed ones
	EndSyncs                 int64   // rooms synced with a peer because its push stream ended
}

// PushCounts reads this node's push counters.
func (s *Service) PushCounts() PushCounts {
	n := s.push.n
	return PushCounts{New: promtest.ToFloat64(n.New), Dup: promtest.ToFloat64(n.Dup), Sent: promtest.ToFloat64(n.Sent),
		Gossip: promtest.ToFloat64(n.Gossip), GossipIn: s.push.gossipIn.Load(), GossipOfPushed: s.push.gossipOfPushed.Load(),
		EndSyncs: s.push.endSyncs.Load()}
}

// TopicPeers lists the peers of a log's topic as the push fan-out sees them.
func (s *Service) TopicPeers(wg, log string) []peer.ID {
	s.mu.Lock()
	t := s.topics[logKey{wg, log}]
	s.mu.Unlock()
	if t == nil {
		return nil
	}
	return t.peerList()
}

// PushRaw opens a push stream to p, writes frames (each raw as one
// frame, or written as is when rawFrames), closes its side and reads
// until the other side ends: nil when it closed (every frame read),
// network.ErrReset (or another error) when it refused the stream.
func PushRaw(ctx context.Context, h *p2p.Host, p peer.ID, rawFrames bool, raws ...[]byte) error {
	st, err := h.NewStream(ctx, p, p2p.ProtoChatPush)
	if err != nil {
		return err
	}
	defer st.Close()
	var buf []byte
	for _, raw := range raws {
		if rawFrames {
			buf = append(buf, raw...)
		} else {
			buf = appendPushFrame(buf, raw)
		}
	}
	if _, err := st.Write(buf); err != nil {
		return err
	}
	_ = st.CloseWrite()
	_, err = io.Copy(io.Discard, st)
	if err == nil {
		return nil
	}
	if errors.Is(err, network.ErrReset) {
		return network.ErrReset
	}
	return err
}

// ResetPushIn resets the push streams this node reads.
func (s *Service) ResetPushIn() int {
	s.push.mu.Lock()
	defer s.push.mu.Unlock()
	for st := range s.push.in {
		_ = st.Reset()
	}
	return len(s.push.in)
}

// CutOffTopics is CutOff at the gossip level too: the peers f reports
// are refused this node's room topics (their gossip reset so their
// subscriptions are judged again), as if not connected.
func (s *Service) CutOffTopics(f func(peer.ID) bool) {
	s.CutOff(f)
	s.cutTopics.Store(true)
	for _, p := range s.cfg.Host.Network().Peers() {
		if f(p) {
			s.cfg.Host.ResetGossip(p)
		}
	}
}

// GossipOnly makes this node send its room messages by gossip only, as
// a node without push would: for tests of the gossip path.
func (s *Service) GossipOnly() { s.push.off.Store(true) }

// PushFramesIn is how many frames this node read from push streams.
func (s *Service) PushFramesIn() int64 { return s.push.framesIn.Load() }

// SayForRePush says text in room (wg is the workgroup ID) and returns a
// function that pushes that message again to the room's topic peers, as
// pushAll does: receivers that hold it read and check each frame and
// drop it as a duplicate, unverified (BenchmarkPushFrames).
func (s *Service) SayForRePush(ctx context.Context, wg, room, text string) (func() bool, error) {
	m, err := s.send(ctx, wg, body{Room: room, Kind: KindText, Text: text})
	if err != nil {
		return nil, err
	}
	k := logKey{wg, m.logName()}
	return func() bool { return s.pushAll(k, m) }, nil
}

// VerifiedCount is the number of signatures this node checked.
func (s *Service) VerifiedCount() uint64 { return s.work.verify.Load() }
