package workgroup

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
)

// leaveRosterGossip takes n off wg's roster topic, as if every roster
// gossip message for it were lost.
func (n *tnode) leaveRosterGossip(wg string) {
	s := n.svc
	s.psMu.Lock()
	t := s.topics[wg]
	delete(s.topics, wg)
	s.psMu.Unlock()
	if t != nil {
		t.cancel()
		t.sub.Cancel()
		_ = t.topic.Close()
	}
}

// waitFor polls cond until it returns nil or 20 s pass (a loaded CI
// machine under -race); with the periodic work an hour away, only the
// syncs a change starts can make it pass.
func waitFor(t *testing.T, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A change an admin makes reaches the members it is connected to even
// when roster gossip loses it, without waiting for the periodic sync
// (an hour here): a removal (the removed peer is cut off there too), a
// rename and a group change.
func TestChangeReachesMemberWithoutGossip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alpha, bravo, charlie := newTNodeEvery(t, "alpha", time.Hour), newTNodeEvery(t, "bravo", time.Hour), newTNodeEvery(t, "charlie", time.Hour)
	wg := mustCreate(t, alpha, "office")
	mustJoin(t, bravo, mustInvite(t, alpha, InviteOptions{}), "")
	mustJoin(t, charlie, mustInvite(t, alpha, InviteOptions{}), "")
	if err := bravo.dial(charlie); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() error { return wantMembers(bravo, wg.ID, 3) })
	bravo.leaveRosterGossip(wg.ID)

	if _, err := alpha.svc.SetGroups(ctx, wg.ID, "bravo", GroupChange{Add: []string{"ops"}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() error {
		if m, _ := bravo.svc.roster.Self(wg.ID); len(m.Groups) != 1 || m.Groups[0] != "ops" {
			return errf("bravo's groups are %v, want [ops]", m.Groups)
		}
		return nil
	})
	if _, err := alpha.svc.Rename(ctx, wg.ID, "office-2f", false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() error {
		if ws := bravo.svc.List(); len(ws) != 1 || ws[0].Name != "office-2f" {
			return errf("bravo lists %+v, want office-2f", ws)
		}
		return nil
	})
	if _, err := alpha.svc.Remove(ctx, wg.ID, "charlie"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() error {
		if err := wantMembers(bravo, wg.ID, 2); err != nil {
			return err
		}
		if bravo.connected(charlie) {
			return errf("bravo still admits removed charlie")
		}
		return nil
	})

	// A sync refused for a moment (bravo serves no roster sync for
	// 300 ms) is tried again.
	bravo.host.RemoveStreamHandler(p2p.ProtoRoster)
	if _, err := alpha.svc.Rename(ctx, wg.ID, "office-3f", false); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	bravo.host.Handle(p2p.ProtoRoster, Guard(bravo.svc.roster, bravo.svc.log, bravo.svc.handleRoster))
	waitFor(t, func() error {
		if ws := bravo.svc.List(); len(ws) != 1 || ws[0].Name != "office-3f" {
			return errf("bravo lists %+v, want office-3f", ws)
		}
		return nil
	})
}

// The inviter records a joiner's new memberships as it admits it: its
// next re-judging of gossip (as after the removal or rename it
// publishes next) must not reset the joiner's gossip streams, which
// dropped the message just published.
func TestAdmissionNeedsNoGossipReset(t *testing.T) {
	t.Parallel()
	alpha, bravo := newTNodeEvery(t, "alpha", time.Hour), newTNodeEvery(t, "bravo", time.Hour)
	wg := mustCreate(t, alpha, "office")
	mustJoin(t, bravo, mustInvite(t, alpha, InviteOptions{}), "")
	alpha.svc.rejudgeGossip()
	alpha.svc.gossipMu.Lock()
	seen, resets := alpha.svc.gossipSeen[bravo.host.ID()], len(alpha.svc.gossipResets[bravo.host.ID()])
	alpha.svc.gossipMu.Unlock()
	if seen != wg.ID || resets != 0 {
		t.Fatalf("after admitting bravo, alpha holds its memberships as %q (want %q) and reset its gossip %d times (want 0)", seen, wg.ID, resets)
	}
}

// A removed peer is cut off as soon as no one is telling it of its
// removal any more, whoever finishes last: here a merge's grace (held by
// the test) outlasts the telling, and its end must re-apply the gate
// (the periodic one is an hour away).
func TestRemovedPeerCutWhenLastGraceEnds(t *testing.T) {
	t.Parallel()
	alpha, charlie := newTNodeEvery(t, "alpha", time.Hour), newTNodeEvery(t, "charlie", time.Hour)
	wg := mustCreate(t, alpha, "office")
	mustJoin(t, charlie, mustInvite(t, alpha, InviteOptions{}), "")
	c := charlie.host.ID()
	alpha.svc.notifyBegin([]peer.ID{c})
	if _, err := alpha.svc.Remove(context.Background(), wg.ID, "charlie"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() error {
		alpha.svc.notifyMu.Lock()
		n := alpha.svc.notifying[c]
		alpha.svc.notifyMu.Unlock()
		if n != 1 {
			return errf("alpha is telling charlie %d times, want 1 (the test's grace)", n)
		}
		return nil
	})
	if !alpha.connected(charlie) {
		t.Fatal("charlie was cut off while a grace still held")
	}
	alpha.svc.notifyEnd([]peer.ID{c})
	waitFor(t, func() error {
		if alpha.connected(charlie) {
			return errf("alpha still admits removed charlie")
		}
		return nil
	})
}

// A roster sync stops when its context ends, even while it waits for a
// peer that does not answer (its stream deadline is 30 s): Close and the
// bound on telling a removed member rely on it.
func TestSyncStopsWithItsContext(t *testing.T) {
	t.Parallel()
	alpha, bravo := newTNodeEvery(t, "alpha", time.Hour), newTNodeEvery(t, "bravo", time.Hour)
	wg := mustCreate(t, alpha, "office")
	mustJoin(t, bravo, mustInvite(t, alpha, InviteOptions{}), "")
	stuck := make(chan struct{})
	defer close(stuck)
	bravo.host.Handle(p2p.ProtoRoster, func(st network.Stream) {
		defer st.Close()
		<-stuck // reads the hello never, answers never
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- alpha.svc.syncWith(ctx, bravo.host.ID(), wg.ID) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a sync with a peer that never answered succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the sync still waits 10 s after its context ended")
	}
}
