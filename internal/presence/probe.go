package presence

import (
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// probeTimeout bounds the ping (and dial) that tells whether a member
// whose connection closed is still there.
const probeTimeout = 3 * time.Second

// disconnected runs when a connection closes. If it was the last one to
// a member this node sees present, the member is probed: one that does
// not answer is shown offline at once and reported gone to the
// workgroup. Only members of a workgroup this node is in are probed.
func (s *Service) disconnected(n network.Network, c network.Conn) {
	p := c.RemotePeer()
	// A peer that is no member of a workgroup this node is still in is
	// not probed: after this node's removal its old members' gates close
	// every connection at once, and probing them would redial forever.
	if len(n.ConnsToPeer(p)) > 0 || len(s.cfg.Dir.Memberships(p)) == 0 {
		return
	}
	now := time.Now()
	watch := false
	s.mu.Lock()
	for _, t := range s.topics {
		if r := t.records[p]; r != nil && r.state != Offline {
			r.disconnected = now
			watch = true
		}
	}
	if watch && !s.probing[p] && !s.closing && s.ctx.Err() == nil {
		s.probing[p] = true
		s.wg.Add(1)
		go s.probe(p)
	}
	s.mu.Unlock()
}

// probe dials p and pings it. If it does not answer and nothing was heard
// from it meanwhile, it is marked gone here and announced gone on every
// workgroup both are in.
func (s *Service) probe(p peer.ID) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.probing, p)
		s.mu.Unlock()
	}()
	for try := 1; ; try++ {
		asked := time.Now()
		err := s.cfg.Host.Probe(s.ctx, p, probeTimeout)
		if err == nil || s.ctx.Err() != nil {
			return
		}
		s.cfg.Log.Debug("presence: member does not answer", "peer", p, "err", err)
		if !s.markGone(p, asked) && try < probeTries && len(s.cfg.Host.Network().ConnsToPeer(p)) == 0 {
			// Something was heard from p while the probe ran: a live
			// member (by gossip through others) or only a message p sent
			// before its connection closed that was processed late. Ask
			// again; a member still heard from is left to its heartbeats.
			continue
		}
		return
	}
}

// probeTries bounds the probes of one disconnection that are answered by
// nothing but messages heard meanwhile.
const probeTries = 3

// markGone shows p offline in every workgroup where nothing was heard
// from it since asked, announcing it gone there. It reports whether
// every record p still shown present was marked.
func (s *Service) markGone(p peer.ID, asked time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := true
	for wg, t := range s.topics {
		r := t.records[p]
		if r == nil || r.state == Offline {
			continue
		}
		if r.heard.After(asked) {
			all = false
			continue
		}
		r.goneSeq = max(r.goneSeq, r.seq)
		s.noteLocked(t, p)
		s.publishLocked(wg, t, s.shownLocked(), map[peer.ID]uint64{p: r.seq})
	}
	return all
}

// goneReportedLocked applies a member's report that peers are gone
// after the given sequence numbers. Only a member itself may say it
// goes offline (its own signed message); a report by another member is
// a hint that can only bring the timeout forward, never contradict the
// member's own messages:
//
//   - it counts only if the reporter had heard at least the latest
//     message this node holds of that member (a stale report is
//     ignored), and it is taken as reporting that message, not the
//     sequence number it names (a report of MaxUint64 does not outlast
//     the member's next message);
//   - it takes effect only once the member has been quiet here for
//     reportGrace of its intervals, so a member whose heartbeats keep
//     coming is never shown offline by others' reports;
//   - the member is present again with its next message;
//   - a node that holds a connection to the member judges for itself.
func (s *Service) goneReportedLocked(t *topicState, reporter peer.ID, gone map[peer.ID]uint64) {
	for p, seq := range gone {
		if p == s.self || p == reporter || len(s.cfg.Host.Network().ConnsToPeer(p)) > 0 {
			continue
		}
		r := t.records[p]
		if r == nil || seq < r.seq || r.reportedSeq >= r.seq {
			continue // never heard (offline anyway), a stale report, or reported already
		}
		r.reportedSeq = r.seq
		r.reportedAfter = r.heard.Add(r.interval * reportGrace / 10)
		if limit := time.Now().Add(refuteWait); r.reportedAfter.After(limit) {
			r.reportedAfter = limit // long intervals: a live member refutes at once
		}
		s.noteLocked(t, p)
	}
}

// reportGrace is how long, in tenths of its interval, a member reported
// gone by another must have been quiet here before it is shown offline:
// heartbeats come every interval plus or minus a tenth (jitter).
const reportGrace = 12

// refuteWait bounds that wait: a live member that hears itself reported
// gone publishes at once (refuteLocked), well within it; so with the long
// intervals of a large workgroup a departure still shows everywhere in
// seconds, not after 1.2 intervals (10 min at 1,000 members).
const refuteWait = 3 * time.Second

// refuteGap is the least time between two refutations, so a member
// that reports this node gone over and over does not make it publish
// at the same rate.
const refuteGap = time.Second

// refuteLocked publishes this node's presence at once when a message
// reports it gone: the others would show it offline after refuteWait.
func (s *Service) refuteLocked(gone map[peer.ID]uint64) {
	if _, ok := gone[s.self]; !ok {
		return
	}
	if now := time.Now(); now.Sub(s.lastRefute) >= refuteGap {
		s.lastRefute = now
		s.Kick()
	}
}
