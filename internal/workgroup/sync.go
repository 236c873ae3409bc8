package workgroup

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// SyncHello opens /peerhood/roster/1: the initiator's workgroup and the
// sorted SHA-256 hashes of every roster item it holds.
type SyncHello struct {
	Workgroup string   `cbor:"1,keyasint"`
	Have      [][]byte `cbor:"2,keyasint"`
}

// SyncReply is the responder's answer: the items the initiator lacks and
// the hashes the responder lacks (or a refusal).
type SyncReply struct {
	Error *wire.Error `cbor:"1,keyasint,omitempty"`
	Items Bundle      `cbor:"2,keyasint"`
	Want  [][]byte    `cbor:"3,keyasint,omitempty"`
}

// SyncPush closes the exchange: the items the responder asked for (empty
// when the initiator could not verify that the responder is a member).
type SyncPush struct {
	Items Bundle `cbor:"1,keyasint"`
}

const syncTimeout = 30 * time.Second

// TopicName is the gossipsub topic of a workgroup's roster.
func TopicName(wg string) string { return "/peerhood/wg/" + wg + "/roster" }

// handleRoster serves /peerhood/roster/1 (wrapped with Guard).
func (s *Service) handleRoster(st network.Stream) {
	defer st.Close()
	_ = st.SetDeadline(time.Now().Add(syncTimeout))
	remote := st.Conn().RemotePeer()
	r := wire.NewReader(st, maxSyncHello)
	var hello SyncHello
	if err := r.ReadFrame(&hello); err != nil || len(hello.Have) > MaxRosterItems {
		_ = wire.WriteFrame(st, SyncReply{Error: &wire.Error{Code: wire.CodeBadRequest, Message: "malformed sync hello"}})
		return
	}
	// A node that was removed still answers (with what it holds, its own
	// revocation included), so members that were away learn of it. A
	// workgroup this node does not know and one the asker is not a member
	// of get the same refusal: a member of another of this node's
	// workgroups learns nothing of whether it is in the one named.
	if _, ok := s.roster.Member(hello.Workgroup, remote); !ok || !s.roster.Known(hello.Workgroup) {
		_ = wire.WriteFrame(st, SyncReply{Error: &wire.Error{Code: wire.CodeNotMember, Message: "not a member of that workgroup"}})
		return
	}
	theyLack, weLack := s.roster.Missing(hello.Workgroup, hello.Have)
	if err := wire.WriteFrame(st, SyncReply{Items: theyLack, Want: weLack}); err != nil {
		return
	}
	r.SetMax(maxRosterFrame)
	var push SyncPush
	if err := r.ReadFrame(&push); err != nil {
		return
	}
	s.merge(s.ctx, hello.Workgroup, push.Items, remote.String())
}

// syncWith runs one anti-entropy exchange of wg's roster with p. Nothing
// of the roster is sent before p has shown (by the roster it returns)
// that it is a member.
func (s *Service) syncWith(ctx context.Context, p peer.ID, wg string) error {
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	st, err := s.host.NewStream(network.WithNoDial(ctx, "roster sync"), p, p2p.ProtoRoster)
	if err != nil {
		return fmt.Errorf("roster sync with %s: %w", p, err)
	}
	defer st.Close()
	_ = st.SetDeadline(time.Now().Add(syncTimeout))
	// A stream read does not watch ctx: when it ends (Close, the bound
	// of telling a removed member), the stream is reset so the exchange
	// stops now, not at its deadline.
	defer context.AfterFunc(ctx, func() { _ = st.Reset() })()
	if err := wire.WriteFrame(st, SyncHello{Workgroup: wg, Have: s.roster.Digest(wg)}); err != nil {
		return fmt.Errorf("roster sync with %s: %w", p, err)
	}
	r := wire.NewReader(st, maxRosterFrame)
	var reply SyncReply
	if err := r.ReadFrame(&reply); err != nil {
		_ = st.Reset()
		return fmt.Errorf("roster sync with %s: %w", p, err)
	}
	if reply.Error != nil {
		return fmt.Errorf("roster sync with %s: %w", p, reply.Error)
	}
	s.merge(ctx, wg, reply.Items, p.String())
	var push SyncPush
	if _, ok := s.roster.Member(wg, p); ok {
		push.Items = s.roster.Items(wg, reply.Want)
	} else if s.roster.IsRevoked(wg, p) {
		// A removed member learns of its own removal, and nothing else.
		push.Items.Revs = s.roster.RevocationsOf(wg, p)
	}
	if err := wire.WriteFrame(st, push); err != nil {
		return fmt.Errorf("roster sync with %s: %w", p, err)
	}
	_ = st.CloseWrite()
	// Wait for the responder to close its side, which it does once it has
	// merged (and stored) the push: a caller that cuts the connection
	// next (as when telling a removed member) would else lose the push
	// still in flight.
	if dl, ok := ctx.Deadline(); ok {
		_ = st.SetReadDeadline(dl)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(st, 1))
	return nil
}

// onConnect protects member connections and syncs the roster of every
// workgroup the peer is a member of. A peer this node dialled that it
// does not know as a member may be one that joined while this node was
// away: the sync with it tells (it answers only if it is a member).
func (s *Service) onConnect(p peer.ID, outbound bool) {
	if s.ctx.Err() != nil {
		return
	}
	if s.roster.MemberAnywhere(p) {
		s.host.Protect(p, protectTag)
	}
	s.syncMu.Lock()
	if s.inflight[p] {
		s.syncMu.Unlock()
		return
	}
	s.inflight[p] = true
	s.syncMu.Unlock()
	defer func() {
		s.syncMu.Lock()
		delete(s.inflight, p)
		s.syncMu.Unlock()
	}()
	known := s.roster.MemberAnywhere(p)
	for _, w := range s.roster.Workgroups() {
		if _, ok := s.roster.Member(w.ID, p); ok || (!known && outbound) {
			if err := s.syncWith(s.ctx, p, w.ID); err != nil {
				s.log.Debug("roster sync", "peer", p, "workgroup", w.ID, "err", err)
			}
		}
	}
}

// syncSome syncs each workgroup with up to n random connected members.
func (s *Service) syncSome(n int) {
	for _, w := range s.roster.Workgroups() {
		var cands []peer.ID
		for _, p := range s.host.Network().Peers() {
			if _, ok := s.roster.Member(w.ID, p); ok {
				cands = append(cands, p)
			}
		}
		rand.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
		for i := 0; i < len(cands) && i < n; i++ {
			if err := s.syncWith(s.ctx, cands[i], w.ID); err != nil {
				s.log.Debug("roster sync", "peer", cands[i], "workgroup", w.ID, "err", err)
			}
		}
	}
}

// syncRetry syncs wg with p, trying again (announceTries in all) while
// it fails and p is still a connected member.
func (s *Service) syncRetry(p peer.ID, wg string) {
	for try := 1; ; try++ {
		err := s.syncWith(s.ctx, p, wg)
		if err == nil {
			return
		}
		s.log.Debug("roster sync after a change", "peer", p, "workgroup", wg, "try", try, "err", err)
		if try == announceTries {
			return
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(announceRetry):
		}
		if _, ok := s.roster.Member(wg, p); !ok || s.host.Network().Connectedness(p) != network.Connected {
			return
		}
	}
}

// joinTopic subscribes to a workgroup's roster gossip. Its validator
// accepts only messages authored by members that decode as a Bundle;
// each item is verified again when merged.
func (s *Service) joinTopic(wg string) error {
	s.psMu.Lock()
	defer s.psMu.Unlock()
	if _, ok := s.topics[wg]; ok || s.ctx.Err() != nil {
		return nil
	}
	ps, err := s.host.PubSub()
	if err != nil {
		return err
	}
	name := TopicName(wg)
	err = ps.RegisterTopicValidator(name, func(_ context.Context, _ peer.ID, m *pubsub.Message) pubsub.ValidationResult {
		author := m.GetFrom()
		if author != s.self {
			if _, ok := s.roster.Member(wg, author); !ok {
				return pubsub.ValidationReject
			}
		}
		var b Bundle
		if err := wire.Unmarshal(m.Data, &b); err != nil {
			return pubsub.ValidationReject
		}
		return pubsub.ValidationAccept
	})
	if err != nil {
		return fmt.Errorf("roster topic validator: %w", err)
	}
	t, err := ps.Join(name)
	if err != nil {
		_ = ps.UnregisterTopicValidator(name)
		return fmt.Errorf("join roster topic: %w", err)
	}
	sub, err := t.Subscribe()
	if err != nil {
		_ = t.Close()
		_ = ps.UnregisterTopicValidator(name)
		return fmt.Errorf("subscribe roster topic: %w", err)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.topics[wg] = &wgTopic{topic: t, sub: sub, cancel: func() { cancel(); _ = ps.UnregisterTopicValidator(name) }}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			m, err := sub.Next(ctx)
			if err != nil {
				return
			}
			if m.GetFrom() == s.self {
				continue
			}
			var b Bundle
			if wire.Unmarshal(m.Data, &b) == nil {
				s.merge(ctx, wg, b, "gossip:"+m.GetFrom().String())
			}
		}
	}()
	return nil
}

// publish announces roster items of wg that this node has just made (an
// admission, a removal, a rename, a group change): it gossips them, then
// pushes them to every connected member of wg by roster sync
// (syncMembers). Gossip alone may lose a message: one still queued for
// a peer is dropped when that peer's gossip streams are reset (gossip.go),
// and one published before a peer's subscription is known reaches only
// those subscribed. A removal must not wait for the periodic sync
// (SyncInterval, 30 s by default, with two random members) to reach the
// members this node is connected to: until it does, they still admit the
// removed peer.
func (s *Service) publish(wg string, b Bundle) {
	s.psMu.Lock()
	t, ok := s.topics[wg]
	s.psMu.Unlock()
	if ok {
		if data, err := wire.Marshal(b); err == nil {
			ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
			if err := t.topic.Publish(ctx, data); err != nil {
				s.log.Debug("roster gossip publish", "workgroup", wg, "err", err)
			}
			cancel()
		}
	}
	s.syncMembers(wg)
}

// announceSyncs bounds the roster syncs one announcement runs at once;
// announceTries is how often one is tried (announceRetry apart) while
// the peer is still a connected member: a sync is refused while two
// others with the peer are under way (p2p.ProtoLimits).
const (
	announceSyncs = 4
	announceTries = 3
	announceRetry = time.Second
)

// syncMembers runs, in the background, one roster sync of wg with every
// connected member of wg (announceSyncs at a time), so each receives
// what this node holds and it lacks. A member that had it by gossip
// already costs one exchange of hashes.
func (s *Service) syncMembers(wg string) {
	var ps []peer.ID
	for _, p := range s.host.Network().Peers() {
		if _, ok := s.roster.Member(wg, p); ok {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return
	}
	s.bg.Go(func() { s.syncWithAll(wg, ps) }) // none once Close began
}
