package chat

import "time"

// logsMark is what wantedLogs depends on: the directory's generation
// (workgroups, members, roles, certificates: workgroup.Roster.Generation)
// and logsGen (room directories folded, rooms joined or left). The loop
// looks for logs to join or leave every watchEvery (250 ms); it now does
// so only when the mark moved since a syncTopics that joined every log
// it wanted, and in full every logsFullEvery ticks (30 s: a safety net,
// not a path anything relies on). An idle member no longer
// lists its workgroups, rooms and access four times a second (3.5% of
// an idle member's samples at 20 members).
type logsMark struct {
	dir, logs uint64
	set       bool // the zero mark (none) matches no mark read
}

// logsFullEvery: the loop's wake-ups (of any kind) between two looks at
// the logs to keep whatever the mark says.
const logsFullEvery = int(30 * time.Second / watchEvery)

// logsMark reads the mark, the directory's generation first (both are
// bumped after their change, so a change made after this read moves one
// of them past the mark); ok is false when the directory has no
// generation (then the loop always looks).
func (s *Service) logsMark() (logsMark, bool) {
	g, ok := s.dirGen()
	if !ok {
		return logsMark{}, false
	}
	return logsMark{dir: g, logs: s.logsGen.Load(), set: true}, true
}
