package chat

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Topic is the gossipsub topic of a log: the room directory of workgroup
// wg (log "") or one of its rooms.
func Topic(wg, log string) string {
	if log == "" {
		return "/peerhood/wg/" + wg + "/chat"
	}
	return "/peerhood/wg/" + wg + "/chat/" + log
}

// logTopic is a joined topic with its subscription.
type logTopic struct {
	topic  *pubsub.Topic
	sub    *pubsub.Subscription
	events *pubsub.TopicEventHandler
	cancel context.CancelFunc
	// peers: the topic's peers as its events told (watchPeers), read
	// by the push fan-out without a round trip to the router's loop.
	peers atomic.Pointer[[]peer.ID]
}

// peerList is the topic's peers (nil before the first event).
func (t *logTopic) peerList() []peer.ID {
	if ps := t.peers.Load(); ps != nil {
		return *ps
	}
	return nil
}

func randPerm(n int) []int { return rand.Perm(n) }

// wantedLogs lists the logs this node keeps: every workgroup's room
// directory, the rooms it joined, and, for a mailbox member, every room
// of its workgroup it is allowed in.
func (s *Service) wantedLogs() map[logKey]bool {
	s.work.logScans.Add(1)
	want := map[logKey]bool{}
	joined := s.joinedRooms()
	for _, w := range s.dir.Workgroups() {
		want[logKey{w.ID, ""}] = true
		self, _ := s.dir.Self(w.ID)
		mailbox := self.HasRole(workgroup.RoleMailbox)
		for name := range s.roomsOf(w.ID) {
			if (mailbox || joined[logKey{w.ID, name}]) && s.allowed(w.ID, name, s.self) {
				want[logKey{w.ID, name}] = true
			}
		}
	}
	return want
}

// syncTopics joins the topics of the logs this node keeps and leaves the
// others. It reports whether it joined every one. Rounds run one at a
// time (topicSync). A topic is left outside mu: a local Publish holds
// the topic's lock while it runs the topic's validator, which takes mu
// (admits, roomsOf), and leaving waits for that lock: leaving under mu
// while this node published on the topic was a deadlock
// (TestLeaveWhilePublishing).
func (s *Service) syncTopics() bool {
	s.topicSync.Lock()
	defer s.topicSync.Unlock()
	want := s.wantedLogs()
	s.mu.Lock()
	var gone map[logKey]*logTopic
	for k, t := range s.topics {
		if !want[k] {
			if gone == nil {
				gone = make(map[logKey]*logTopic)
			}
			gone[k] = t
			delete(s.topics, k)
		}
	}
	s.mu.Unlock()
	s.leave(gone)
	s.mu.Lock()
	defer s.mu.Unlock()
	all := true
	for k := range want {
		if _, ok := s.topics[k]; ok {
			continue
		}
		if err := s.joinLocked(k); errors.Is(err, errStopping) {
			return false
		} else if err != nil {
			s.log.Warn("chat: cannot join topic", "workgroup", k.wg, "log", k.log, "err", err)
			all = false
		}
	}
	return all
}

// errStopping: the service is closing; no topic is joined.
var errStopping = errors.New("chat: stopping")

func (s *Service) joinLocked(k logKey) error {
	// syncTopics runs from API calls too (JoinRoom, a Say to a room not
	// joined): the readers are counted before the topic is joined, and
	// not at all once Close began, so Close's Wait sees them and no
	// topic is joined after Close left them all.
	if !s.add(2) {
		return errStopping
	}
	// Inline: the validator verifies and checks memory only (a log's
	// heads are read from SQLite once), so a goroutine per message would
	// be only scheduling work.
	t, sub, ev, err := p2p.JoinTopicInline(s.ps, Topic(k.wg, k.log), s.validator(k), pubsub.WithTopicMessageIdFn(msgID))
	if err != nil {
		s.wg.Add(-2)
		return err
	}
	ctx, cancel := context.WithCancel(s.ctx)
	lt := &logTopic{topic: t, sub: sub, events: ev, cancel: cancel}
	s.topics[k] = lt
	go s.receive(ctx, k, lt)
	go s.watchPeers(ctx, k, lt)
	return nil
}

// leave leaves the topics gone, already taken out of s.topics. Not under
// mu (syncTopics says why).
func (s *Service) leave(gone map[logKey]*logTopic) {
	for k, t := range gone {
		t.cancel()
		p2p.LeaveTopic(s.ps, Topic(k.wg, k.log), t.topic, t.sub, t.events)
	}
}

// validator takes a log's gossip only when the message is signed by its
// author, belongs to that log, its author is a member of the workgroup
// (and allowed in the room), and it is not stored here already. A
// message stored already is ignored before its signature is checked: it
// is neither stored nor forwarded, so checking it would be work for
// nothing. One on its way to the store (inflight.go: the same bytes; by
// push, its signature not checked yet) is verified and forwarded, not
// stored again.
func (s *Service) validator(k logKey) pubsub.ValidatorEx {
	return func(ctx context.Context, from peer.ID, pm *pubsub.Message) pubsub.ValidationResult {
		if s.cut(from) {
			return pubsub.ValidationIgnore
		}
		if from != s.self && s.gossipOfPushed(pm.ID, k) {
			// The very bytes came by push, verified: forwarded (a member
			// the author cannot reach may wait for it), not stored again.
			pm.ValidatorData = pushedCopy{}
			s.push.gossipOfPushed.Add(1)
			return pubsub.ValidationAccept
		}
		m, sm, own, err := s.ownOrParse(from, pm)
		if err != nil {
			return pubsub.ValidationReject
		}
		if err := s.admissible(m, k); err != nil {
			return pubsub.ValidationReject
		}
		if !own {
			if from != s.self && s.seen.stored(ctx, s, k, m) {
				return pubsub.ValidationIgnore // a replay
			}
			if from != s.self && s.fly.has(m) {
				// The very bytes are on their way to the store, most often
				// by push, waiting for the writer's batch check
				// (pushverify.go): forwarded once verified here (a member
				// the author cannot reach may wait for it), not stored
				// again.
				if err := s.verifyNet(m, sm); err != nil {
					return pubsub.ValidationReject
				}
				pm.ValidatorData = pushedCopy{}
				s.push.gossipOfPushed.Add(1)
				return pubsub.ValidationAccept
			}
			if err := s.verifyNet(m, sm); err != nil {
				return pubsub.ValidationReject
			}
		}
		if !own && k.log != "" {
			s.push.gossipIn.Add(1)
			s.push.recent.add(m.id, k, m.author(), false) // its push copy, if one comes, is dropped unverified
		}
		pm.ValidatorData = m
		return pubsub.ValidationAccept
	}
}

// ownOrParse returns the message pm carries, parsed (own false: its
// signature is still to be checked), or, for this node's own publish,
// the message it signed (own true; send.go publishes it as the validator
// data): gossipsub validates local publishes too, and verifying a
// signature made a moment ago is waste. Only a local publish has
// ReceivedFrom = this node (a remote message's is the peer that sent it,
// never this node, and its validator data is nil), and the bytes must be
// the very ones signed, so a received message is always verified.
func (s *Service) ownOrParse(from peer.ID, pm *pubsub.Message) (*msg, signed, bool, error) {
	if from == s.self {
		if m, ok := pm.ValidatorData.(*msg); ok && m.author() == s.self && bytes.Equal(m.raw, pm.Data) {
			return m, signed{}, true, nil
		}
	}
	m, sm, err := parse(pm.Data)
	s.work.decoded.Add(1)
	return m, sm, false, err
}

// admissible checks a verified message against the log it came for and
// the workgroup's roster and rooms.
func (s *Service) admissible(m *msg, k logKey) error {
	if m.Workgroup != k.wg || m.logName() != k.log || m.isDM() {
		return fmt.Errorf("%w: message of another log", errBadMessage)
	}
	member, allowed := s.admits(k, m.author())
	if !member {
		return fmt.Errorf("%w: author %s is not a member", errBadMessage, m.author())
	}
	if !allowed {
		return fmt.Errorf("%w: author %s is not allowed in room %s", errBadMessage, m.author(), k.log)
	}
	return nil
}

// receive hands the log's gossip to the writer.
func (s *Service) receive(ctx context.Context, k logKey, t *logTopic) {
	defer s.wg.Done()
	for {
		pm, err := t.sub.Next(ctx)
		if err != nil {
			return
		}
		m, ok := pm.ValidatorData.(*msg)
		if !ok || m.author() == s.self {
			continue
		}
		g := gossiped{m: m, k: k, from: pm.ReceivedFrom, fly: s.fly.add(m)}
		s.work.gossip.Add(1) // after the in-flight record: a sync that sees the count finds it
		select {
		case s.intake <- g:
		case <-ctx.Done():
			if g.fly {
				s.fly.remove(m)
			}
			return
		}
	}
}

// gossiped is a message received on a topic, waiting for the writer.
type gossiped struct {
	m    *msg
	k    logKey
	from peer.ID
	fly  bool // recorded in s.fly (inflight.go) until stored
	// in is the push stream m came by, its signature (sig) not verified
	// yet: the writer verifies the pushed messages of a batch together
	// (pushverify.go); nil for gossip and history, verified already.
	in  *pushStream
	sig signed
}

// maxBatch bounds the messages the writer stores in one transaction.
const maxBatch = 512

// writer stores gossiped messages, all that wait (and, under load, what
// comes within a window that follows the rate: writepace.go) in one
// transaction (one commit for a burst, not one per message), with this
// member's own Says that come meanwhile (ownsay.go: a Say ends the
// window). A message whose predecessor is missing is held, and its log
// synced with the peer that sent it.
func (s *Service) writer() {
	defer s.wg.Done()
	var pace writePace
	var batch []gossiped // reused: one batch at a time
	var ms []*msg
	var says []*sayReq
	for {
		clear(batch) // drop the last batch's messages
		clear(ms)
		clear(says)
		batch, ms, says = batch[:0], ms[:0], says[:0]
		select {
		case <-s.ctx.Done():
			return
		case g := <-s.intake:
			batch = append(batch, g)
		case r := <-s.says:
			says = append(says, r)
		}
		if len(says) == 0 {
			batch, says = s.collect(batch, says, pace.begin(time.Now()))
		} else { // a Say waits for no window
			batch, says = s.collect(batch, says, 0)
			if len(batch) > 0 {
				pace.begin(time.Now())
			}
		}
		if len(batch) > 0 { // a batch of Says alone leaves the rate as it is
			pace.end(len(batch))
			s.work.writeBatches.Add(1)
		}
		batch = s.verifyPushed(batch)
		chainOrder(batch)
		for _, g := range batch {
			ms = append(ms, g.m)
		}
		if len(ms) > 0 {
			s.lag.note(time.Now(), ms[len(ms)-1].HLC)
		}
		res := s.acceptAll(s.ctx, ms, says)
		s.kickIndexer()
		for _, g := range batch {
			if g.fly {
				s.fly.remove(g.m)
			}
		}
		for i, r := range res {
			if r == held {
				s.syncIfStillHeld(batch[i].k, batch[i].from, batch[i].m.author(), batch[i].m.Seq)
			}
		}
	}
}

// chainOrder sorts a batch by log, then author, then seq: gossip
// validates concurrently, so a successor often comes a moment before its
// predecessor; in one batch it is then stored, not held (a row in
// chat_held written, deleted and stored again).
func chainOrder(batch []gossiped) {
	slices.SortStableFunc(batch, func(x, y gossiped) int {
		return cmp.Or(strings.Compare(x.m.Workgroup, y.m.Workgroup), strings.Compare(x.k.log, y.k.log),
			bytes.Compare(x.m.Author, y.m.Author), cmp.Compare(x.m.Seq, y.m.Seq))
	})
}

// collect adds to batch the gossip that arrives within window (writepace.go;
// 0: only what is waiting already), up to maxBatch, and to says the Says
// that come meanwhile: a Say ends the window (it would wait for it). It
// sleeps through the window and then takes what came: the intake (4,096)
// holds it meanwhile, so the writer wakes once per batch, not once per
// message.
func (s *Service) collect(batch []gossiped, says []*sayReq, window time.Duration) ([]gossiped, []*sayReq) {
	if window > 0 {
		t := time.NewTimer(window)
		select {
		case <-t.C:
		case r := <-s.says:
			t.Stop()
			says = append(says, r)
		case <-s.ctx.Done():
			t.Stop()
		}
	}
intake:
	for len(batch) < maxBatch {
		select {
		case g := <-s.intake:
			batch = append(batch, g)
		default:
			break intake
		}
	}
	for len(says) < maxBatch {
		select {
		case r := <-s.says:
			says = append(says, r)
		default:
			return batch, says
		}
	}
	return batch, says
}

// syncIfStillHeld syncs log k with p after heldGrace (longer under
// load: heldgrace.go) unless every
// message held meanwhile from p was stored (each author's head reached
// the highest seq held of it); one wait per (log, peer), which notes
// every message held while it runs (one still held at its end is
// enough to sync, whichever hold started the wait). When every missing
// predecessor is on its way to the store (inflight.go: the writer's
// queue under load), it waits again instead: the sync would fetch and
// verify them a second time.
func (s *Service) syncIfStillHeld(k logKey, p peer.ID, author peer.ID, seq uint64) {
	sk := syncKey{k, p}
	s.mu.Lock()
	w, waiting := s.heldWait[sk]
	if !waiting {
		w = map[peer.ID]uint64{}
		s.heldWait[sk] = w
	}
	w[author] = max(w[author], seq)
	s.mu.Unlock()
	if waiting {
		return
	}
	time.AfterFunc(s.lag.grace(), func() {
		s.mu.Lock()
		delete(s.heldWait, sk)
		s.mu.Unlock()
		if s.ctx.Err() != nil {
			return
		}
		wait := false
		for author, seq := range w { // w is no longer written: removed from heldWait under mu
			head := s.seen.head(k, author)
			if head >= seq {
				continue
			}
			if s.fly.reach(k, author, head) < seq-1 {
				s.requestSync(k, p)
				return
			}
			wait = true // every predecessor is on its way to the store
		}
		if wait {
			for author, seq := range w {
				s.syncIfStillHeld(k, p, author, seq)
			}
		}
	})
}

// watchPeers syncs a log's history with each peer that joins its topic
// (a member that comes back, or one this node meets again): at once, and
// again joinResync later.
func (s *Service) watchPeers(ctx context.Context, k logKey, t *logTopic) {
	defer s.wg.Done()
	peers := map[peer.ID]bool{}
	for {
		ev, err := t.events.NextPeerEvent(ctx)
		if err != nil {
			return
		}
		if ev.Type == pubsub.PeerJoin {
			peers[ev.Peer] = true
			s.syncAfterJoin(k, ev.Peer)
		} else {
			delete(peers, ev.Peer)
		}
		list := make([]peer.ID, 0, len(peers))
		for p := range peers {
			list = append(list, p)
		}
		t.peers.Store(&list)
	}
}

// joinResync is how long after a peer joins a log's topic its history is
// synced a second time: a gossipsub heartbeat (1 s) and a margin. Authors
// send to their mesh peers only (no flood publish, internal/p2p
// chatpubsub.go), and a peer that has just subscribed is in no mesh
// until a heartbeat grafts it; gossipsub offers a message (IHAVE) only to
// peers outside the mesh, so a message published in that window would
// reach neither side live, and wait for the author's next message (held,
// then synced) or anti-entropy (SyncInterval). The second sync fetches it.
const joinResync = 1500 * time.Millisecond

// joinDefer is how long the member of a pair with the greater peer ID
// waits before its syncs at a join. Both members of a pair sync with each
// other at a join (each sees the other join) and again joinResync later;
// the one with the smaller ID goes first and sends its heads along
// (told.go), so the other's sync, asked for at the same moment, is not
// run when the first's heads show nothing it lacks: one heads exchange
// per pair instead of two, each time. It runs as before otherwise, a
// moment later.
const joinDefer = 300 * time.Millisecond

// syncAfterJoin syncs log k with p, which just joined its topic: at once
// and joinResync later, the member of the pair with the greater peer ID
// joinDefer later each time (a sync the other's heads then spare).
func (s *Service) syncAfterJoin(k logKey, p peer.ID) {
	if p == s.self || p == "" {
		return
	}
	now := time.Now()
	if s.self < p {
		s.requestSync(k, p)
		s.resyncAfterJoin(k, p, now, 0)
		return
	}
	time.AfterFunc(joinDefer, func() {
		if s.ctx.Err() == nil {
			s.requestSyncAsked(k, p, now)
		}
	})
	s.resyncAfterJoin(k, p, now, joinDefer)
}

// resyncAfterJoin requests a sync of log k with p joinResync after the
// join (at joined), plus wait; joins of one (log, peer) meanwhile share
// that one (a flapping peer causes no storm), and requestSync bounds the
// syncs running at once.
func (s *Service) resyncAfterJoin(k logKey, p peer.ID, joined time.Time, wait time.Duration) {
	sk := syncKey{k, p}
	s.mu.Lock()
	if s.joinWait[sk] {
		s.mu.Unlock()
		return
	}
	s.joinWait[sk] = true
	s.mu.Unlock()
	time.AfterFunc(joinResync+wait, func() {
		s.mu.Lock()
		delete(s.joinWait, sk)
		s.mu.Unlock()
		if s.ctx.Err() == nil {
			s.requestSyncAsked(k, p, joined.Add(joinResync))
		}
	})
}

// accept stores one checked message and announces what it stored.
func (s *Service) accept(ctx context.Context, m *msg) (storeResult, error) {
	res, err := s.storeAll(ctx, []*msg{m}, nil)
	return res[0], err
}

// acceptAll stores checked messages, and this member's Says (answered
// once committed: ownsay.go), in one transaction and announces the
// messages it stored (a Say announces its own).
func (s *Service) acceptAll(ctx context.Context, ms []*msg, says []*sayReq) []storeResult {
	res, _ := s.storeAll(ctx, ms, says)
	return res
}

// storeAll is acceptAll with the database's error when the store failed
// (every result then failed): a direct message's sender learns it was
// not stored (takeDM), so it is sent again.
func (s *Service) storeAll(ctx context.Context, ms []*msg, says []*sayReq) ([]storeResult, error) {
	res, out, err := s.insertSays(ctx, ms, says)
	if err != nil {
		s.log.Warn("chat: store", "err", err)
		return make([]storeResult, len(ms)), err // failed
	}
	for i, r := range res {
		if r == forked {
			s.warnPeer(ms[i].author(), "chat: refused a message forking its author's chain", "author", ms[i].author(), "seq", ms[i].Seq, "log", ms[i].logName())
		}
	}
	for _, x := range out {
		if x.author() != s.self {
			s.work.stored.Add(1)
		}
		s.clk.observe(x.HLC)
		s.stored(x)
	}
	return res, nil
}
