package spool

import (
	"context"
	"slices"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// News of a member: it connected (onConnected), or its node, connected
// already, began to serve the spool's protocols. A node starting brings
// its host and discovery up before its spool registers
// /peerhood/deliver/1, so a sender that tries it then fails although it
// is connected ("protocols not supported") and backs off; the spool
// starting opens no connection, and the job waited for its retry. Now
// identify's push (the member's node announces the protocols it added)
// is news as good as a connection: its work is due at once.

// peerUp makes member p's work due now (unless it is waiting out a
// backoff after failing to serve and the news is this node's own doing,
// fromPeer false): its queued jobs and receipts, a worker busy with it
// kicked (kick.go), a fetch if it is a mailbox. It reports whether p is
// a member of a workgroup this node is in and not held off.
func (s *Service) peerUp(ctx context.Context, p peer.ID, fromPeer bool) bool {
	ms := s.dir.Memberships(p)
	if len(ms) == 0 || (!fromPeer && s.heldOff(p)) {
		return false // not a member of a workgroup this node is in, or backing off
	}
	if fromPeer {
		s.clearHold(p) // it came to us: worth one try now
	}
	s.mu.Lock()
	delete(s.unreachable, p)
	s.kickLocked(p) // a worker busy with p tries again at once (kick.go)
	s.mu.Unlock()
	s.dueNow(ctx, p)
	s.hookAt(p, atConnected)
	s.Wake()
	for _, m := range ms {
		if m.HasRole(workgroup.RoleMailbox) {
			select {
			case s.fetchNow <- p:
			default:
			}
			break
		}
	}
	return true
}

// protoLoop takes identify's news of peers' protocols until ctx ends: a
// member that now serves deliveries or a mailbox is up (peerUp).
func (s *Service) protoLoop(ctx context.Context, sub event.Subscription) {
	defer s.wg.Done()
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-sub.Out():
			if !ok {
				return
			}
			ev, _ := e.(event.EvtPeerProtocolsUpdated)
			if slices.Contains(ev.Added, p2p.ProtoDeliver) || slices.Contains(ev.Added, p2p.ProtoMailbox) {
				s.bg.Go(func() { s.peerUp(ctx, ev.Peer, true) })
			}
		}
	}
}
