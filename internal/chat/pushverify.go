package chat

import (
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// pushStream is one inbound push stream as the writer knows it: the
// writer verifies pushed messages after the reader handed them over, and
// refuses the stream of one whose signature fails.
type pushStream struct {
	st      network.Stream
	from    peer.ID
	refused atomic.Pointer[error] // why the writer reset the stream
	// pending counts the messages handed to the writer and not verified
	// yet; verified gets a token each time it falls to 0, so the reader,
	// at the stream's end, closes it only once all it carried is judged
	// (a bad signature resets it, as a malformed frame does).
	pending  atomic.Int64
	verified chan struct{}
}

func newPushStream(st network.Stream, from peer.ID) *pushStream {
	return &pushStream{st: st, from: from, verified: make(chan struct{}, 1)}
}

// judged notes that the writer verified (or refused) one message of the
// stream.
func (p *pushStream) judged() {
	if p.pending.Add(-1) == 0 {
		select {
		case p.verified <- struct{}{}:
		default: // a token waits already
		}
	}
}

// awaitJudged waits until every message the stream carried is verified,
// or done closes.
func (p *pushStream) awaitJudged(done <-chan struct{}) {
	for p.pending.Load() > 0 {
		select {
		case <-p.verified:
		case <-done:
			return
		}
	}
}

// refusal is the error refuse was given, nil if none.
func (p *pushStream) refusal() error {
	if e := p.refused.Load(); e != nil {
		return *e
	}
	return nil
}

// verifyPushed verifies the signatures of the pushed messages of a
// writer batch together (verifybatch.go: under load a batch holds
// several; one batch check costs about half as much per signature as a
// check each) and returns the batch without those that failed: their
// in-flight records are removed and the streams they came by reset, as
// the reader does for a malformed frame. A verified message is then
// known as pushed (recentIDs: its gossip copy is taken unverified) and
// counted new, as the reader did when it verified each one itself.
func (s *Service) verifyPushed(batch []gossiped) []gossiped {
	var at []int
	for i := range batch {
		g := &batch[i]
		if g.in == nil {
			continue
		}
		if s.push.recent.has(g.m.id) {
			// Its gossip copy was verified meanwhile (the same bytes):
			// no second check, and the store finds it a duplicate.
			s.push.n.Dup.Inc()
			g.in.judged()
			g.in, g.sig = nil, signed{}
			continue
		}
		at = append(at, i)
	}
	if len(at) == 0 {
		return batch
	}
	ms, sigs := make([]*msg, len(at)), make([]signed, len(at))
	for j, i := range at {
		ms[j], sigs[j] = batch[i].m, batch[i].sig
	}
	errs := s.verifyBatch(ms, sigs)
	now := time.Now()
	for j, i := range at {
		g := &batch[i]
		if errs != nil && errs[j] != nil {
			if g.fly {
				s.fly.remove(g.m)
				g.fly = false
			}
			if g.in.refused.CompareAndSwap(nil, &errs[j]) {
				s.warnPeer(g.from, "chat push: refused a frame, stream reset", "peer", g.from, "err", errs[j])
				_ = g.in.st.Reset()
			}
			g.in.judged()
			g.m = nil // dropped below
			continue
		}
		s.push.recent.addAt(g.m.id, g.k, g.from, true, now)
		s.push.n.New.Inc()
		g.in.judged()
		g.in, g.sig = nil, signed{}
	}
	if errs == nil {
		return batch
	}
	out := batch[:0]
	for _, g := range batch {
		if g.m != nil {
			out = append(out, g)
		}
	}
	clear(batch[len(out):])
	return out
}
