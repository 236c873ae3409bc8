package workgroup

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Remove revokes a member (admin only): a signed revocation is stored,
// gossiped and carried by roster sync; the member is disconnected.
func (s *Service) Remove(ctx context.Context, wgArg, name string) (Member, error) {
	wg, err := s.resolve(wgArg, name)
	if err != nil {
		return Member{}, err
	}
	if !s.roster.IsAdmin(wg.ID, s.self) {
		return Member{}, errorf(CodeForbidden, "this node is not an admin of workgroup %s: only admins can remove members", wg.Name)
	}
	m, err := s.roster.FindMember(wg.ID, name)
	if err != nil {
		return Member{}, fmt.Errorf("workgroup %s: %w", wg.Name, err)
	}
	if m.PeerID == s.self {
		return Member{}, errorf(CodeBadRequest, "%q is this node itself; another admin must remove it", m.Name)
	}
	signer, err := s.signerFor(wg.ID)
	if err != nil {
		return Member{}, err
	}
	raw, err := IssueRevocation(signer, wg.ID, m.PeerID, m.Name, s.now())
	if err != nil {
		return Member{}, err
	}
	if !s.enter() {
		return Member{}, errorf(CodeUnavailable, "the workgroup service is shutting down")
	}
	grace := s.graceFor(wg.ID, Bundle{Revs: [][]byte{raw}})
	defer s.notifyEnd(grace)
	// Stored before the roster shows it, whatever the caller's context.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	added, _, err := s.mergeStored(sctx, wg.ID, Bundle{Revs: [][]byte{raw}})
	cancel()
	s.leave()
	if err != nil {
		return Member{}, fmt.Errorf("remove member: %w", err)
	}
	if len(added.Revs) != 1 {
		return Member{}, fmt.Errorf("remove member: revocation does not verify")
	}
	s.log.Info("member removed", "workgroup", wg.ID, "name", m.Name, "peer", m.PeerID)
	s.publish(wg.ID, added)
	s.applyRevocations(wg.ID, added)
	return m, nil
}

// notifyTimeout bounds how long a revoked peer's connections stay open
// for it to be told of its revocation. Its streams are refused already,
// so a longer wait costs nothing but the open connection, and a peer not
// told in time never learns it was removed (every member refuses it
// after); the sync itself takes milliseconds (tellRemoved).
const notifyTimeout = 10 * time.Second

// applyRevocations cuts off peers just revoked in wg. A revoked peer
// still connected is first told (a roster sync that pushes it its own
// revocation, bounded by notifyTimeout), so it knows it was removed;
// meanwhile every stream of it is refused, as the roster no longer
// lists it. Then the gate is re-applied.
func (s *Service) applyRevocations(wg string, added Bundle) {
	root, _ := s.roster.Root(wg)
	var victims []peer.ID
	for _, raw := range added.Revs {
		if rv, err := ParseRevocation(raw, root.Pub); err == nil && rv.PeerID != s.self &&
			s.host.Network().Connectedness(rv.PeerID) == network.Connected {
			victims = append(victims, rv.PeerID)
			s.host.Unprotect(rv.PeerID, protectTag)
		}
	}
	if len(victims) == 0 {
		s.afterChange()
		return
	}
	// Until told, the gate keeps their connections open (a periodic or
	// another merge's Enforce would otherwise cut them first, and the
	// removed peer would never learn it was removed).
	s.notifyBegin(victims)
	started := s.bg.Go(func() {
		ctx, cancel := context.WithTimeout(s.ctx, notifyTimeout)
		defer cancel()
		var wait sync.WaitGroup
		for _, p := range victims {
			wait.Add(1)
			go func() {
				defer wait.Done()
				s.tellRemoved(ctx, p, wg)
			}()
		}
		wait.Wait()
		s.notifyEnd(victims)
		s.afterChange()
	})
	if !started { // Close began
		s.notifyEnd(victims)
	}
}

// tellRemoved syncs wg with p, just revoked, so it learns it was removed,
// trying again until ctx ends while this node's resource manager refuses
// the stream: it does when other roster streams to p are open
// (ProtoRoster allows 2 per peer: the syncs after the change that
// removed it often are), and a peer not told in time never learns it
// (every member refuses it after).
func (s *Service) tellRemoved(ctx context.Context, p peer.ID, wg string) {
	for {
		err := s.syncWith(ctx, p, wg)
		if err == nil {
			return
		}
		s.log.Debug("tell removed member", "peer", p, "err", err)
		if !errors.Is(err, network.ErrResourceLimitExceeded) {
			return // told another way, or gone: nothing to wait for
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// graceFor marks the connected peers that b's revocations name as being
// told (notifyBegin) before the merge makes the revocations visible, so
// no Enforce in between cuts them before applyRevocations tells them.
// The caller passes the result to notifyEnd after applyRevocations.
func (s *Service) graceFor(wg string, b Bundle) []peer.ID {
	if len(b.Revs) == 0 {
		return nil
	}
	root, ok := s.roster.Root(wg)
	if !ok {
		return nil
	}
	var ps []peer.ID
	for _, raw := range b.Revs {
		if rv, err := ParseRevocation(raw, root.Pub); err == nil && rv.PeerID != s.self &&
			s.host.Network().Connectedness(rv.PeerID) == network.Connected {
			ps = append(ps, rv.PeerID)
		}
	}
	s.notifyBegin(ps)
	return ps
}

// notifyBegin marks revoked peers being told of their revocation.
func (s *Service) notifyBegin(ps []peer.ID) {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	for _, p := range ps {
		s.notifying[p]++
	}
}

// notifyEnd undoes one notifyBegin. Once no one is telling a peer any
// more, the gate is re-applied: the last to finish is not always the
// telling (applyRevocations' own Enforce), it may be the merge or
// Remove that granted the grace (graceFor), and the peer, revoked,
// then stayed connected until the periodic Enforce.
func (s *Service) notifyEnd(ps []peer.ID) {
	s.notifyMu.Lock()
	done := false
	for _, p := range ps {
		if s.notifying[p] <= 1 {
			delete(s.notifying, p)
			done = true
		} else {
			s.notifying[p]--
		}
	}
	s.notifyMu.Unlock()
	if done {
		s.host.Enforce()
	}
}

// beingNotified reports whether p, revoked, is being told so.
func (s *Service) beingNotified(p peer.ID) bool {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	return s.notifying[p] > 0
}
