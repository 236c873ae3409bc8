package presence

import (
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/events"
)

// noteLocked publishes presence.changed when what this node shows for
// member p of t's workgroup (as Of computes it) differs from what it last
// published. s.mu held.
func (s *Service) noteLocked(t *topicState, p peer.ID) {
	r := t.records[p]
	if s.cfg.Events == nil || r == nil {
		return
	}
	state, text := r.state, r.text
	if state == Offline || s.goneLocked(t.wg, p, r) {
		state, text = Offline, ""
	}
	prev := r.shown
	if prev == "" {
		prev = Offline
	}
	if state == prev && text == r.shownText {
		return
	}
	r.shown, r.shownText = state, text
	m, _ := s.cfg.Dir.Member(t.wg, p)
	s.cfg.Events.Publish(t.wg, events.PresenceChanged{Peer: p.String(), Name: m.Name, State: state, Text: text, Previous: prev})
}

// noteAll looks for members gone silent: a timeout changes what Of shows
// without any message arriving. The heartbeat loop calls it.
func (s *Service) noteAll() {
	if s.cfg.Events == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.topics {
		for p := range t.records {
			s.noteLocked(t, p)
		}
	}
}

// noteSelfLocked publishes this node's own presence in each workgroup
// when the change from status before shows. s.mu held.
func (s *Service) noteSelfLocked(before Status) {
	shown := func(st Status) (string, string) {
		if !st.LoggedOn || s.closing {
			return Offline, ""
		}
		return st.State, st.Text
	}
	prev, prevText := shown(before)
	state, text := shown(s.status)
	if s.cfg.Events == nil || (state == prev && text == prevText) {
		return
	}
	for wg := range s.topics {
		m, _ := s.cfg.Dir.Self(wg)
		s.cfg.Events.Publish(wg, events.PresenceChanged{Peer: s.self.String(), Name: m.Name, State: state, Text: text, Previous: prev})
	}
}
