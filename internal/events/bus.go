package events

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Event is one thing that happened on this node.
type Event struct {
	Seq       uint64          `json:"seq"`
	Kind      Kind            `json:"kind"`
	Workgroup string          `json:"workgroup,omitempty"`
	Time      time.Time       `json:"time"`
	Data      json.RawMessage `json:"data"`

	sse []byte // the SSE message, for an event a Bus published (frame.go)
}

// Decode unmarshals the event's payload into v (e.g. *PresenceChanged).
func (e Event) Decode(v any) error {
	if err := json.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("events: decode %s payload: %w", e.Kind, err)
	}
	return nil
}

// Defaults for Options.
const (
	DefaultBuffer = 256
	DefaultReplay = 1024
)

// Options tune a Bus. Zero values take the defaults.
type Options struct {
	Buffer int              // events held per subscriber before it is marked slow
	Replay int              // recent events kept for Last-Event-ID replay
	Now    func() time.Time // clock for event times
}

// Bus fans events out to subscribers. Its methods are safe for
// concurrent use; a nil *Bus accepts Publish and drops the event, so
// wiring is optional.
type Bus struct {
	opts  Options
	epoch string // distinguishes this bus's sequence from an earlier one's

	mu     sync.Mutex
	seq    uint64
	ring   []Event // recent events, circular: ringN of them from ringAt
	ringN  int
	ringAt int // index of the oldest event
	subs   map[*Subscription]struct{}
	closed bool
}

// New returns an open bus.
func New(opts Options) *Bus {
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBuffer
	}
	if opts.Replay <= 0 {
		opts.Replay = DefaultReplay
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	var e [4]byte
	_, _ = rand.Read(e[:])
	return &Bus{
		opts:  opts,
		epoch: hex.EncodeToString(e[:]),
		ring:  make([]Event, opts.Replay),
		subs:  make(map[*Subscription]struct{}),
	}
}

// Epoch names this bus instance; SSE ids carry it so a client that
// reconnects after a restart is told its position is gone.
func (b *Bus) Epoch() string { return b.epoch }

// Publish records p as an event of p's kind in workgroup wg ("" for
// none) and hands it to every matching subscriber. It never blocks on a
// subscriber. Publish on a nil or closed Bus does nothing.
func (b *Bus) Publish(wg string, p Payload) {
	if b == nil || p == nil {
		return
	}
	kind := p.EventKind()
	if !Known(kind) {
		return
	}
	ev := Event{Kind: kind, Workgroup: wg}
	if ap, ok := p.(jsonAppender); ok {
		buf, head := payloadBuf(&ev, b.epoch, ap.jsonSize())
		if buf, ok = ap.appendJSON(buf); ok {
			b.publish(ev, appendedPayload{buf: buf, head: head}, nil)
			return
		}
	}
	data, err := json.Marshal(p)
	if err != nil {
		slog.Warn("events: payload not encodable, dropped", "kind", kind, "err", err)
		return
	}
	b.publish(ev, appendedPayload{}, data)
}

// PublishChat is Publish(wg, *m) without the payload's boxing (an
// allocation of the whole message per chat message stored): m is only
// read during the call.
func (b *Bus) PublishChat(wg string, m *ChatMessage) {
	if b == nil || m == nil {
		return
	}
	ev := Event{Kind: KindChatMessage, Workgroup: wg}
	buf, head := payloadBuf(&ev, b.epoch, m.jsonSize())
	buf, ok := m.appendJSON(buf)
	if !ok {
		b.Publish(wg, *m)
		return
	}
	b.publish(ev, appendedPayload{buf: buf, head: head}, nil)
}

// publish numbers ev, encodes its SSE message around its payload (app
// when it holds one, else data) and hands it out.
func (b *Bus) publish(ev Event, app appendedPayload, data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.seq++
	ev.Seq, ev.Time = b.seq, b.opts.Now()
	if app.buf != nil { // once for every stream
		frameAppended(&ev, b.epoch, app)
	} else {
		frameEvent(&ev, b.epoch, data)
	}
	b.remember(ev)
	for s := range b.subs {
		if s.filter.Match(ev) {
			s.offer(ev)
		}
	}
}

// remember keeps ev in the replay ring. b.mu held.
func (b *Bus) remember(ev Event) {
	if b.ringN < len(b.ring) {
		b.ring[(b.ringAt+b.ringN)%len(b.ring)] = ev
		b.ringN++
		return
	}
	b.ring[b.ringAt] = ev
	b.ringAt = (b.ringAt + 1) % len(b.ring)
}

// Subscribe registers a subscriber for events matching f.
func (b *Bus) Subscribe(f Filter) *Subscription {
	s, _ := b.subscribe(f, false, 0)
	return s
}

// SubscribeAfter registers a subscriber like Subscribe and returns, in
// order, the recent events after sequence number after that match f:
// the caller delivers them before anything the subscription yields (no
// event is missed or repeated between the two). When events after
// `after` have left the replay buffer, the replay starts with a gap
// event (reason "expired").
func (b *Bus) SubscribeAfter(f Filter, after uint64) (*Subscription, []Event) {
	return b.subscribe(f, true, after)
}

// SubscribeAfterID is SubscribeAfter for an SSE Last-Event-ID as written
// by the Handler ("EPOCH-SEQ"). An id of another bus or an unreadable one
// replays the whole buffer after a gap event (reason "reset").
func (b *Bus) SubscribeAfterID(f Filter, id string) (*Subscription, []Event) {
	epoch, seq, ok := ParseID(id)
	if !ok || epoch != b.epoch {
		return b.subscribe(f, true, 0, Gap{Reason: GapReset})
	}
	return b.subscribe(f, true, seq)
}

func (b *Bus) subscribe(f Filter, replay bool, after uint64, lead ...Gap) (*Subscription, []Event) {
	s := newSubscription(b, f, b.opts.Buffer)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		s.closeLocked()
		return s, nil
	}
	b.subs[s] = struct{}{}
	if !replay {
		return s, nil
	}
	oldest := b.seq + 1
	if b.ringN > 0 {
		oldest = b.ring[b.ringAt].Seq
	}
	var out []Event
	switch {
	case len(lead) > 0:
		for _, g := range lead {
			out = append(out, b.gapEvent(g))
		}
	case after > b.seq:
		// A position this bus never reached: another bus's.
		out = append(out, b.gapEvent(Gap{Reason: GapReset}))
		after = 0
	case after+1 < oldest:
		out = append(out, b.gapEvent(Gap{Reason: GapExpired, Lost: oldest - 1 - after, From: after + 1, To: oldest - 1}))
	}
	for i := range b.ringN {
		ev := b.ring[(b.ringAt+i)%len(b.ring)]
		if ev.Seq > after && f.Match(ev) {
			out = append(out, ev)
		}
	}
	return s, out
}

// gapEvent builds a gap event numbered as the last event lost (0 when
// unknown), so the events that follow it have greater numbers.
func (b *Bus) gapEvent(g Gap) Event {
	data, _ := json.Marshal(g)
	return Event{Seq: g.To, Kind: KindGap, Time: b.opts.Now(), Data: data}
}

// Close ends every subscription (each still yields what it holds, then
// ErrClosed) and makes later Publish calls no-ops. Idempotent.
func (b *Bus) Close() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	for s := range b.subs {
		s.closeLocked()
	}
	clear(b.subs)
}

// Subscribers returns how many subscriptions are open.
func (b *Bus) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

func (b *Bus) unsubscribe(s *Subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.subs, s)
	s.closeLocked()
}

// Filter selects events. Empty Kinds: every kind; empty Workgroup: every
// workgroup (and events of none). A gap event always matches.
type Filter struct {
	Kinds     []Kind
	Workgroup string
}

// Match reports whether ev passes the filter.
func (f Filter) Match(ev Event) bool {
	if ev.Kind == KindGap {
		return true
	}
	if f.Workgroup != "" && ev.Workgroup != f.Workgroup {
		return false
	}
	return len(f.Kinds) == 0 || slices.Contains(f.Kinds, ev.Kind)
}
