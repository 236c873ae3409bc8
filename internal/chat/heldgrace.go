package chat

import (
	"sync/atomic"
	"time"
)

// heldGrace is how long a message held for a missing predecessor waits
// at least before its log is synced with the peer that sent it. Gossip
// often delivers an author's messages out of order (they are validated
// concurrently, and come from the author and from relays): the
// predecessor is then only milliseconds behind, and a sync at once
// cost both ends a heads exchange and a range read per held message.
const heldGrace = 500 * time.Millisecond

// maxHeldGrace bounds the wait under load.
const maxHeldGrace = 3 * time.Second

// gossipLag follows how long after its author wrote it gossip reaches
// the writer (now - the message's clock, an average over batches). Under
// load the node runs behind (its validation and writer queues hold
// seconds of messages), and a predecessor missing for heldGrace is then
// usually still in those queues, not lost: a sync would fetch and verify
// it a second time, adding load to a node that has too much. The wait
// before syncing follows the lag (twice it, between heldGrace and
// maxHeldGrace); a lost message is then fetched a little later, never
// not at all. A member whose clock is off counts as a lag within those
// bounds only.
type gossipLag struct {
	ewma atomic.Int64 // nanoseconds
}

// note takes the lag of a message with clock hlc taken at now.
func (l *gossipLag) note(now time.Time, hlc uint64) {
	d := min(max(now.Sub(hlcTime(hlc)), 0), maxHeldGrace)
	old := l.ewma.Load()
	l.ewma.Store(old + (int64(d)-old)/8) // the writer alone writes it
}

// grace is the wait before syncing a log for a held message.
func (l *gossipLag) grace() time.Duration {
	return graceFor(time.Duration(l.ewma.Load()))
}

func graceFor(lag time.Duration) time.Duration {
	return min(max(2*lag, heldGrace), maxHeldGrace)
}
