package discovery

// settledMark is what an idle dial round depends on: the directory's
// generation (who the members are, which workgroups this node is in) and
// the count of connections opened and closed. A round that found every
// member connected records it; the next rounds return at once while it
// is the same, so an idle node connected to everyone does not count its
// connected members (a Memberships lookup per peer) twice a second. A
// connection closing, or any change of the roster, moves the mark and
// the round runs in full again.
type settledMark struct {
	dir, conns uint64
	set        bool
}

// mark is the current settledMark; ok is false when the directory has no
// generation (then every round runs in full).
func (s *Service) mark() (m settledMark, ok bool) {
	g, ok := s.cfg.Dir.(interface{ Generation() uint64 })
	if !ok {
		return settledMark{}, false
	}
	// The connection count first: a change after it is read moves it
	// past the mark recorded.
	c := s.connGen.Load()
	return settledMark{dir: g.Generation(), conns: c, set: true}, true
}
