package presence

import (
	"math/rand/v2"
	"time"
)

// SmallGroup is the size up to which a workgroup heartbeats at the base
// interval (Config.Interval). It equals GroupBeats, so the budget has no
// step: a workgroup of any size sends at most GroupBeats heartbeats per
// base interval (it was 20, so 20 members sent 10 a second and 21
// sent 2; idle CPU per node at 12 members fell from 10.1 to 7.2 ms/s
// with 4: docs/design/records/2026-11-30-s7-idlecpu.md).
const SmallGroup = GroupBeats

// MaxInterval caps the heartbeat interval of large workgroups.
const MaxInterval = 10 * time.Minute

// GroupBeats is how many heartbeats a workgroup sends in all per base
// interval: 4, that is 2 a second with the 2 s default, whatever its
// size (up to MaxInterval: 1,200 members).
const GroupBeats = 4

// IntervalFor returns the heartbeat interval of a workgroup of n members:
// base up to SmallGroup members; above, base*n/GroupBeats, so the
// workgroup as a whole sends GroupBeats heartbeats per base interval
// (2 a second with the 2 s default: 6 s at 12 members, 10 s at 20, 25 s
// at 50, 500 s at 1,000), up to MaxInterval. Heartbeats are only the liveness refresh:
// changes are published at once, departures are seen by the probes of
// connected members and their gone reports (refuted at once by a live
// member), and a new member learns everyone's state from its
// neighbours' snapshots.
func IntervalFor(base time.Duration, n int) time.Duration {
	if n <= SmallGroup {
		return base
	}
	return min(base*time.Duration(n)/GroupBeats, max(MaxInterval, base))
}

// Timeout is how long a member that said it was present stays so
// without a heartbeat: three of its intervals and a second.
func Timeout(interval time.Duration) time.Duration { return 3*interval + time.Second }

// memberCounter is implemented by directories that count members
// without listing them (the roster).
type memberCounter interface {
	MemberCount(wg string) int
}

// memberCount returns the number of members of wg.
func (s *Service) memberCount(wg string) int {
	if c, ok := s.cfg.Dir.(memberCounter); ok {
		return c.MemberCount(wg)
	}
	return len(s.cfg.Dir.Members(wg))
}

// jitter spreads heartbeats: d plus or minus a tenth, so members that
// started together do not publish together.
func jitter(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d
	}
	return d - d/10 + rand.N(d/5)
}

// beat publishes the heartbeat of every workgroup whose time has come
// (all of them when force), and schedules the next one at the
// workgroup's interval.
func (s *Service) beat(force bool) {
	counts := map[string]int{}
	s.mu.Lock()
	wgs := make([]string, 0, len(s.topics))
	for wg := range s.topics {
		wgs = append(wgs, wg)
	}
	s.mu.Unlock()
	for _, wg := range wgs {
		counts[wg] = s.memberCount(wg) // outside s.mu: the directory may be slow
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	shown := s.shownLocked()
	for wg, t := range s.topics {
		if n, ok := counts[wg]; ok {
			t.interval = IntervalFor(s.cfg.Interval, n)
		}
		if !force && now.Before(t.next) {
			continue
		}
		m := s.messageLocked(wg, t, shown)
		m.Reached = !force && s.reachedAllLocked(wg, t)
		s.publishMsgLocked(wg, t, m, nil)
		t.next = now.Add(jitter(t.interval))
	}
}

// kickAgain is when presence is published a second time after a peer
// joined the topic.
const kickAgain = 400 * time.Millisecond

// kickLate is when it is published a third time: once gossipsub's mesh
// has formed (its first heartbeat, 1 s). A message that reached a
// neighbour before that neighbour had a mesh is neither forwarded nor
// advertised to the peers it grafts then; with heartbeats minutes apart
// in a large workgroup the members beyond would not hear of this node
// until its next one.
const kickLate = 2500 * time.Millisecond

// maxKickGap caps the coalescing of kicks: with heartbeats minutes apart a
// quarter interval would let a member that was cut off and came back
// soon after an earlier kick stay offline for members beyond its
// neighbours for minutes.
const maxKickGap = 10 * time.Second

// kickGap is the least time between two broadcasts on peer joins: a
// quarter interval, at least kickAgain, at most maxKickGap.
func kickGap(interval time.Duration) time.Duration {
	return min(max(interval/4, kickAgain), maxKickGap)
}

// joinKick publishes soon after a peer joined the topic, so it learns
// everyone's presence without waiting for a heartbeat; and again a little
// later (the first message can race the new peer's stream set-up), and
// once more after the gossip mesh formed (kickLate). Kicks
// are coalesced to one per quarter interval (at most 10 s), so members joining in bulk
// do not make every member publish once per joiner (kickGap).
func (s *Service) joinKick(t *topicState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gap := kickGap(t.interval)
	now := time.Now()
	if since := now.Sub(t.lastJoinKick); since >= gap {
		t.lastJoinKick = now
		s.Kick()
		time.AfterFunc(kickAgain, s.Kick)
		time.AfterFunc(kickLate, s.Kick)
		return
	} else if !t.kickPending {
		t.kickPending = true
		time.AfterFunc(gap-since, func() {
			s.mu.Lock()
			t.kickPending = false
			t.lastJoinKick = time.Now()
			s.mu.Unlock()
			s.Kick()
		})
	}
}
