package events

import (
	"sync"
	"time"
)

// ProgressEvery is the least time between two transfer.progress events
// of one transfer.
const ProgressEvery = 250 * time.Millisecond

// Progress reports one transfer's progress at a sensible rate. A nil
// *Progress (from a nil Bus) does nothing. Safe for concurrent use.
type Progress struct {
	bus  *Bus
	wg   string
	mu   sync.Mutex
	p    TransferProgress
	last time.Time
	done bool
}

// Progress starts reporting transfer p (its ID, direction, peer, share,
// path, total and bytes so far) in workgroup wg. It publishes nothing
// until bytes move.
func (b *Bus) Progress(wg string, p TransferProgress) *Progress {
	if b == nil {
		return nil
	}
	return &Progress{bus: b, wg: wg, p: p, last: b.opts.Now()}
}

// Add counts n more bytes and publishes when ProgressEvery has passed
// since the last event of this transfer.
func (t *Progress) Add(n int64) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return
	}
	t.p.Bytes += n
	if now := t.bus.opts.Now(); now.Sub(t.last) >= ProgressEvery {
		t.last = now
		t.bus.Publish(t.wg, t.p)
	}
}

// Update sets the bytes moved so far and the total (when known, > 0),
// and publishes like Add.
func (t *Progress) Update(done, total int64) {
	if t == nil {
		return
	}
	t.mu.Lock()
	if total > 0 {
		t.p.Total = total
	}
	t.p.Bytes = done
	t.mu.Unlock()
	t.Add(0)
}

// Done publishes the final event (Done set, Error when err is not nil).
// Later calls do nothing.
func (t *Progress) Done(err error) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return
	}
	t.done = true
	t.p.Done = true
	if err != nil {
		t.p.Error = err.Error()
	}
	t.bus.Publish(t.wg, t.p)
}
