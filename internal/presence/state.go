package presence

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Self returns this node's own presence.
func (s *Service) Self() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	st.Shown = s.shownLocked()
	return st
}

// invalidError is a presence Set refuses (the API answers 400); any
// other error of Set is the store's.
type invalidError struct{ msg string }

func (e *invalidError) Error() string { return e.msg }

func invalidf(format string, args ...any) error {
	return &invalidError{fmt.Sprintf(format, args...)}
}

// Set chooses the state (online, away or busy) and text; it does not log
// on a node that logged off.
func (s *Service) Set(ctx context.Context, state, text string) (Status, error) {
	if state == Offline {
		return Status{}, invalidf("state %q: use 'peerhood logoff' to appear offline", state)
	}
	if !ValidState(state) {
		return Status{}, invalidf("state %q: use online, away or busy", state)
	}
	if len(text) > MaxText {
		return Status{}, invalidf("presence text of %d bytes exceeds %d", len(text), MaxText)
	}
	return s.update(ctx, func(st *Status) { st.State, st.Text = state, text })
}

// Logon makes the node appear with its chosen state again.
func (s *Service) Logon(ctx context.Context) (Status, error) {
	return s.update(ctx, func(st *Status) { st.LoggedOn = true })
}

// Logoff makes the node appear offline; it keeps relaying and receiving.
func (s *Service) Logoff(ctx context.Context) (Status, error) {
	return s.update(ctx, func(st *Status) { st.LoggedOn = false })
}

// update applies fn to the status, saves the result (state, text and
// logon in one transaction: a full disk or a crash keeps the old three or
// the new three, never a mix) and only then shows it.
func (s *Service) update(ctx context.Context, fn func(*Status)) (Status, error) {
	s.saving.Lock()
	defer s.saving.Unlock()
	s.mu.Lock()
	next := s.status
	fn(&next)
	s.mu.Unlock()
	if st := s.cfg.Settings; st != nil {
		err := st.SetSettings(ctx, map[string]string{"presence.state": next.State, "presence.text": next.Text, "presence.logged_on": strconv.FormatBool(next.LoggedOn)})
		if err != nil {
			return Status{}, fmt.Errorf("save presence: %w", err)
		}
	}
	s.mu.Lock()
	before := s.status
	s.status = next
	s.noteSelfLocked(before)
	s.mu.Unlock()
	s.Kick()
	return s.Self(), nil
}

// Of returns member p's presence in workgroup wg as this node sees it.
// This node's own presence is its Self.
func (s *Service) Of(wg string, p peer.ID) Seen {
	if p == s.self {
		st := s.Self()
		seen := Seen{State: st.Shown, LastSeen: time.Now()}
		if st.Shown != Offline {
			seen.Text = st.Text
		}
		return seen
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.topics[wg]
	if t == nil {
		return Seen{State: Offline}
	}
	s.promoteLocked(wg, t, p)
	r := t.records[p]
	if r == nil {
		return Seen{State: Offline}
	}
	seen := Seen{State: r.state, Text: r.text, LastSeen: r.lastOnline}
	if r.state == Offline || s.goneLocked(wg, p, r) {
		seen.State, seen.Text = Offline, ""
	}
	return seen
}

// goneLocked reports whether a member that last said it was present has
// gone: no heartbeat for Timeout(its interval); or it did not answer a
// probe here and was not heard since; or a member reported it gone and
// it has been quiet since for reportGrace (goneReportedLocked); or its last connection closed, no other member connects us, or
// nothing came through another member within an interval.
func (s *Service) goneLocked(wg string, p peer.ID, r *record) bool {
	now := time.Now()
	if now.Sub(r.heard) > Timeout(r.interval) {
		return true
	}
	if r.goneSeq != 0 && r.goneSeq >= r.seq {
		return true
	}
	if r.reportedSeq != 0 && r.reportedSeq >= r.seq && !now.Before(r.reportedAfter) {
		return true
	}
	if r.disconnected.IsZero() || r.disconnected.Before(r.heard) || len(s.cfg.Host.Network().ConnsToPeer(p)) > 0 {
		return false
	}
	if !s.otherRouteLocked(wg, p) {
		return true
	}
	// Another member may still forward its heartbeats: give them one
	// interval to arrive.
	return now.Sub(r.disconnected) > r.interval+500*time.Millisecond
}

// otherRouteLocked reports whether this node is connected to a member of
// wg other than p, through whom p's messages could still arrive.
func (s *Service) otherRouteLocked(wg string, p peer.ID) bool {
	for _, q := range s.cfg.Host.Network().Peers() {
		if q == p {
			continue
		}
		if _, ok := s.cfg.Dir.Member(wg, q); ok {
			return true
		}
	}
	return false
}
