package spool

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Notify: a mailbox tells a member connected to it that it now holds
// something for it. Before, a message a mailbox took for a member
// connected to the mailbox (but not reachable from the sender: a NAT
// between them) waited for the member's next fetch (FetchInterval, 30 s),
// and its receipt, deposited the same way, as long again for the
// sender's. Now, once a deposit (a message or a receipt) is stored, the
// mailbox opens /peerhood/mailbox/1 to each addressee it is connected to
// (never dialling) and sends {Op:"notify"}; the addressee answers {}
// and fetches from that mailbox by its ordinary fetch (fetchOne: list,
// get, ack; every item checked as always). A notify is only a hint: it
// names nothing, carries nothing, and a lost one costs what it cost
// before (the next fetch). A member that connects to a mailbox fetches
// from it at once already (peerUp), so what was deposited while it was
// away needs no notify.
//
// Limits. The stream is guarded as every mailbox stream (members only);
// a notify from a peer that is not a mailbox member of a workgroup this
// node is in is refused (forbidden) and changes nothing. Fetches a
// mailbox's notifies ask for start at least notifyGap apart: a notify
// within the gap marks the mailbox due and the fetch comes when the gap
// ends (never lost: the mark is cleared as the fetch starts, so a
// notify during a fetch makes one more). A hostile mailbox member so
// makes a node list its mailbox at most once a notifyGap. The mailbox
// side sends one notify at a time per addressee; deposits meanwhile make
// one more when it ends.

// notifyGap is the least time between two fetches from one mailbox that
// its notifies ask for.
const notifyGap = time.Second

// notifyTimeout bounds one notify (stream, request, reply).
const notifyTimeout = 10 * time.Second

// hintState is what a mailbox's notifies asked for (under Service.mu).
type hintState struct {
	due       bool      // a notify came since the last fetch it asked for began
	notBefore time.Time // the next such fetch starts no earlier
}

// notifyHeld tells the addressees of what a deposit just stored that this
// mailbox holds something for them: those connected to it (notifyLoop).
func (s *Service) notifyHeld(ps ...peer.ID) {
	for _, p := range ps {
		if p == s.self || len(s.h.Network().ConnsToPeer(p)) == 0 {
			continue // not connected: it fetches when it connects
		}
		s.mu.Lock()
		if _, running := s.notifying[p]; running {
			s.notifying[p] = true // one more when the running one ends
			s.mu.Unlock()
			continue
		}
		s.notifying[p] = false
		s.mu.Unlock()
		if !s.bg.Go(func() { s.notifyLoop(p) }) {
			s.mu.Lock()
			delete(s.notifying, p)
			s.mu.Unlock()
		}
	}
}

// notifyLoop notifies p until no deposit for p came during the last
// notify.
func (s *Service) notifyLoop(p peer.ID) {
	for {
		if err := s.sendNotify(s.life, p); err != nil {
			s.log.Debug("mailbox: notify", "peer", p, "err", err)
		}
		s.mu.Lock()
		if !s.notifying[p] || s.life.Err() != nil {
			delete(s.notifying, p)
			s.mu.Unlock()
			return
		}
		s.notifying[p] = false
		s.mu.Unlock()
	}
}

// sendNotify sends p one notify on a connection it has (never dialling).
func (s *Service) sendNotify(ctx context.Context, p peer.ID) error {
	ctx, cancel := context.WithTimeout(ctx, notifyTimeout)
	defer cancel()
	ctx = network.WithNoDial(network.WithAllowLimitedConn(ctx, "mailbox notify"), "mailbox notify: only connected")
	st, err := s.h.NewStream(ctx, p, p2p.ProtoMailbox)
	if err != nil {
		return err
	}
	defer st.Close()
	defer context.AfterFunc(ctx, func() { _ = st.Reset() })()
	rep, err := ask[mailboxReply](st, wire.NewReader(st, maxControlFrame), &mailboxReq{Op: opNotify})
	if err != nil {
		_ = st.Reset()
		return err
	}
	if rep.Err != nil {
		return rep.Err // an older node ("unknown op"), or p no longer takes us for a mailbox
	}
	return nil
}

// serveNotify takes a notify from remote: a fetch from it soon, if it is
// a mailbox member of a workgroup this node is in.
func (s *Service) serveNotify(remote peer.ID) *mailboxReply {
	if !s.isMailboxMember(remote) {
		return mbErr(wire.CodeForbidden, "only a mailbox member notifies")
	}
	s.mu.Lock()
	h := s.hints[remote]
	if h == nil {
		h = &hintState{}
		s.hints[remote] = h
	}
	h.due = true
	s.mu.Unlock()
	select {
	case s.hintWake <- struct{}{}:
	default:
	}
	return &mailboxReply{}
}

// isMailboxMember reports whether p holds the mailbox role in a
// workgroup this node is in.
func (s *Service) isMailboxMember(p peer.ID) bool {
	for _, m := range s.dir.Memberships(p) {
		if m.HasRole(workgroup.RoleMailbox) && s.inWorkgroup(m.Workgroup) {
			return true
		}
	}
	return false
}

// fetchHinted starts fetches (in the fetch loop) from the mailboxes whose
// notifies asked for it and whose gap has ended, and returns how long
// until the next one may (0: none waits).
func (s *Service) fetchHinted() time.Duration {
	now := time.Now()
	var ready []peer.ID
	s.mu.Lock()
	for mb, h := range s.hints {
		switch {
		case !h.due && !now.Before(h.notBefore):
			delete(s.hints, mb) // nothing asked, gap over: forget it
		case h.due && !now.Before(h.notBefore):
			h.due = false
			h.notBefore = now.Add(notifyGap)
			ready = append(ready, mb)
		}
	}
	s.mu.Unlock()
	for _, mb := range ready {
		s.startFetch(mb)
	}
	now = time.Now()
	var wait time.Duration
	s.mu.Lock()
	for _, h := range s.hints {
		if h.due {
			d := max(h.notBefore.Sub(now), time.Millisecond)
			if wait == 0 || d < wait {
				wait = d
			}
		}
	}
	s.mu.Unlock()
	return wait
}
