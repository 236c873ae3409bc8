package chat

import (
	"sync"
	"time"
)

// hlcShift: a hybrid logical clock value is milliseconds since the Unix
// epoch shifted left by hlcShift, plus a counter in the low bits.
const hlcShift = 16

// maxHLCSkew is how far ahead of this node's clock a received clock value
// may pull it: a member with a clock days ahead must not drag every
// later message of this node with it.
const maxHLCSkew = time.Minute

// hlc is a hybrid logical clock: it never goes back, and a message sent
// after one was received sorts after it.
type hlc struct {
	mu   sync.Mutex
	last uint64
}

func physical(t time.Time) uint64 { return uint64(t.UnixMilli()) << hlcShift }

// now returns a clock value greater than every one returned or observed.
func (h *hlc) now() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if pt := physical(time.Now()); pt > h.last {
		h.last = pt
	} else {
		h.last++
	}
	return h.last
}

// observe moves the clock past a received value, within maxHLCSkew.
func (h *hlc) observe(v uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if v > h.last && v <= physical(time.Now().Add(maxHLCSkew)) {
		h.last = v
	}
}

// hlcTime is the wall time a clock value stands for.
func hlcTime(v uint64) time.Time { return time.UnixMilli(int64(v >> hlcShift)) }
