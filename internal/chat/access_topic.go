package chat

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/workgroup"
)

// Room access on the gossip topics (doc.go, "Live delivery").
//
// The gate admits a workgroup's topics to its members only; a room
// topic is narrowed further by a check chat registers with the host
// (p2p.Host.AddTopicCheck, suffix "chat/"): a peer's subscription,
// GRAFT, IHAVE or IWANT for /peerhood/wg/<ID>/chat/<room> is taken only
// when the room's access list lets it in, so a member that joins a
// restricted room's topic directly (not through this service) is never
// sent its messages. The check runs on the router's event loop: it reads
// an atomic snapshot of the folded rooms and the directory, never the
// service's lock (held while the service calls into the router).
//
// gossipsub judges a subscription once, when it arrives, so the access
// is judged again when it may have changed: after every fold of a
// workgroup's room directory (an acl entry stored), before the new
// rooms are used, and every rejudgeEvery for changes of the roster
// (groups, names). A peer subscribed to a room it may no longer enter
// has its gossip reset (p2p.Host.ResetGossip): its subscriptions arrive
// again and are refused. A peer refused for a room it may now enter is
// reset too, so it is sent the room again (until then, history sync
// brings it the messages). A room this node does not know yet is not
// refused: this node keeps nothing of it, and once it learns it (a
// fold) its subscribers are judged before it joins the topic.

// rejudgeEvery is how often room access is judged again for roster
// changes.
const rejudgeEvery = 2 * time.Second

// maxRefused bounds the refusals remembered to rejudge on a gain.
const maxRefused = 4096

// topicAccess is the service's state for the room topic check.
type topicAccess struct {
	rooms   atomic.Pointer[map[string]map[string]*roomState] // by workgroup, as last folded
	foldMu  sync.Mutex                                       // one fold at a time, so snapshots never go back
	mu      sync.Mutex
	refused map[peer.ID]map[string]bool // topics refused to a connected peer
	nref    int
	remove  func()
}

// roomOfTopic splits a room topic "/peerhood/wg/<ID>/chat/<room>".
func roomOfTopic(topic string) (wg, room string, ok bool) {
	rest, ok := strings.CutPrefix(topic, "/peerhood/wg/")
	if !ok {
		return "", "", false
	}
	wg, rest, ok = strings.Cut(rest, "/")
	if !ok {
		return "", "", false
	}
	room, ok = strings.CutPrefix(rest, "chat/")
	return wg, room, ok
}

// startTopicAccess registers the room topic check and the periodic
// rejudge.
func (s *Service) startTopicAccess() {
	s.acc.remove = s.cfg.Host.AddTopicCheck("chat/", s.topicAllowed)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(rejudgeEvery)
		defer t.Stop()
		for {
			select {
			case <-s.ctx.Done():
				return
			case <-t.C:
				if all := s.acc.rooms.Load(); all != nil {
					for wg, rooms := range *all {
						s.rejudgeRooms(wg, rooms)
					}
				}
			}
		}
	}()
}

// stopTopicAccess removes the check.
func (s *Service) stopTopicAccess() {
	if s.acc.remove != nil {
		s.acc.remove()
	}
}

// topicAllowed is the room topic check (p2p.TopicCheck).
func (s *Service) topicAllowed(p peer.ID, topic string) bool {
	wg, room, ok := roomOfTopic(topic)
	if !ok || p == s.self {
		return true
	}
	if s.cutTopics.Load() && s.cut(p) {
		return false
	}
	var r *roomState
	if all := s.acc.rooms.Load(); all != nil {
		r = (*all)[wg][room]
	}
	if r == nil {
		return true // unknown here: judged once known (foldedRooms)
	}
	if allowedBy(r, p, s.memberOf(wg)) {
		return true
	}
	s.noteRefused(p, topic)
	return false
}

// allowedQuiet is topicAllowed without noting a refusal: it asks whether
// this node would send p a log, not whether p may subscribe.
func (s *Service) allowedQuiet(p peer.ID, topic string) bool {
	wg, room, ok := roomOfTopic(topic)
	if !ok {
		return true
	}
	var r *roomState
	if all := s.acc.rooms.Load(); all != nil {
		r = (*all)[wg][room]
	}
	return r != nil && allowedBy(r, p, s.memberOf(wg))
}

func (s *Service) memberOf(wg string) func(peer.ID) (workgroup.Member, bool) {
	return func(p peer.ID) (workgroup.Member, bool) { return s.dir.Member(wg, p) }
}

func (s *Service) noteRefused(p peer.ID, topic string) {
	s.acc.mu.Lock()
	defer s.acc.mu.Unlock()
	if s.acc.refused == nil {
		s.acc.refused = map[peer.ID]map[string]bool{}
	}
	ts := s.acc.refused[p]
	if ts[topic] || s.acc.nref >= maxRefused {
		return
	}
	if ts == nil {
		ts = map[string]bool{}
		s.acc.refused[p] = ts
	}
	ts[topic] = true
	s.acc.nref++
}

// foldedRooms publishes the rooms of wg just folded to the topic check
// and judges room access again under them; the caller uses them only
// after (so this node joins a room's topic once its subscribers were
// judged).
func (s *Service) foldedRooms(wg string, rooms map[string]*roomState) {
	s.acc.mu.Lock()
	next := map[string]map[string]*roomState{}
	if all := s.acc.rooms.Load(); all != nil {
		for k, v := range *all {
			next[k] = v
		}
	}
	next[wg] = rooms
	s.acc.rooms.Store(&next)
	s.acc.mu.Unlock()
	s.rejudgeRooms(wg, rooms)
}

// rejudgeRooms resets the gossip of peers subscribed to a room of wg they
// may no longer enter, and of peers refused a room they may now enter.
func (s *Service) rejudgeRooms(wg string, rooms map[string]*roomState) {
	member := s.memberOf(wg)
	reset := map[peer.ID]bool{}
	for _, r := range rooms {
		if len(r.allow) == 0 {
			continue // open to every member: the gate judges membership
		}
		for _, p := range s.ps.ListPeers(Topic(wg, r.name)) {
			if !reset[p] && !allowedBy(r, p, member) {
				s.log.Debug("chat: a peer subscribed to a room it may not enter: its gossip is reset", "peer", p, "room", r.name)
				reset[p] = true
			}
		}
	}
	s.acc.mu.Lock()
	for p, ts := range s.acc.refused {
		if s.cfg.Host.Network().Connectedness(p) != network.Connected {
			s.acc.nref -= len(ts)
			delete(s.acc.refused, p)
			continue
		}
		for topic := range ts {
			w, room, _ := roomOfTopic(topic)
			if w != wg {
				continue
			}
			if r := rooms[room]; r == nil || allowedBy(r, p, member) {
				s.acc.nref -= len(ts)
				delete(s.acc.refused, p)
				reset[p] = true
				break
			}
		}
	}
	s.acc.mu.Unlock()
	for p := range reset {
		s.cfg.Host.ResetGossip(p)
	}
}
