package events

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
)

// ErrClosed: the subscription was closed (by Close or the bus closing)
// and everything it held has been read.
var ErrClosed = errors.New("events: subscription closed")

// Subscription receives the events that match its filter, in sequence
// order, through a bounded buffer. When the buffer is full the
// subscription is marked slow: later events are counted, not kept, until
// the reader has drained the buffer; it then reads one gap event (reason
// "slow", the range lost) and receives events again.
type Subscription struct {
	bus    *Bus
	filter Filter
	ready  chan struct{} // signalled (capacity 1) when something was queued
	done   chan struct{} // closed when the subscription ends

	mu     sync.Mutex
	buf    []Event // circular: n events from head
	head   int
	n      int
	lost   uint64
	from   uint64
	to     uint64
	closed bool
}

func newSubscription(b *Bus, f Filter, size int) *Subscription {
	return &Subscription{
		bus:    b,
		filter: f,
		ready:  make(chan struct{}, 1),
		done:   make(chan struct{}),
		buf:    make([]Event, size),
	}
}

// Filter returns the subscription's filter.
func (s *Subscription) Filter() Filter { return s.filter }

// Ready is signalled when events may be waiting; call Take or Next.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Done is closed when the subscription ends (Close or the bus closing).
// What it still holds can be read with Take.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Close unsubscribes. Idempotent.
func (s *Subscription) Close() { s.bus.unsubscribe(s) }

// offer queues ev or counts it lost; never blocks. The bus lock is held.
func (s *Subscription) offer(ev Event) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if s.lost > 0 || s.n == len(s.buf) {
		if s.lost == 0 {
			s.from = ev.Seq
		}
		s.lost++
		s.to = ev.Seq
	} else {
		s.buf[(s.head+s.n)%len(s.buf)] = ev
		s.n++
	}
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// closeLocked ends the subscription; the bus lock is held.
func (s *Subscription) closeLocked() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
}

// Take appends every waiting event to dst (the gap event last, when
// events were lost) and returns it, without blocking.
func (s *Subscription) Take(dst []Event) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.n > 0 {
		dst = append(dst, s.pop())
	}
	if s.lost > 0 {
		dst = append(dst, s.gap())
	}
	return dst
}

// pop removes the oldest queued event. s.mu held, s.n > 0.
func (s *Subscription) pop() Event {
	ev := s.buf[s.head]
	s.buf[s.head] = Event{}
	s.head = (s.head + 1) % len(s.buf)
	s.n--
	return ev
}

// gap makes the gap event for what was lost and clears the mark. s.mu held.
func (s *Subscription) gap() Event {
	g := Gap{Reason: GapSlow, Lost: s.lost, From: s.from, To: s.to}
	s.lost, s.from, s.to = 0, 0, 0
	data, _ := json.Marshal(g)
	return Event{Seq: g.To, Kind: KindGap, Time: s.bus.opts.Now(), Data: data}
}

// Next returns the next event, waiting for one. It returns ErrClosed
// once the subscription has ended and is drained, or ctx's error.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		s.mu.Lock()
		switch {
		case s.n > 0:
			ev := s.pop()
			s.mu.Unlock()
			return ev, nil
		case s.lost > 0:
			ev := s.gap()
			s.mu.Unlock()
			return ev, nil
		case s.closed:
			s.mu.Unlock()
			return Event{}, ErrClosed
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return Event{}, ctx.Err()
		case <-s.ready:
		case <-s.done:
		}
	}
}
