package events

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

func seqs(evs []Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Seq
	}
	return out
}

func span(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func gapOf(t *testing.T, ev Event) Gap {
	t.Helper()
	if ev.Kind != KindGap {
		t.Fatalf("event %d is %s, want gap", ev.Seq, ev.Kind)
	}
	var g Gap
	if err := ev.Decode(&g); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestOrderAndPayload(t *testing.T) {
	t.Parallel()
	b := New(Options{Buffer: 2000})
	defer b.Close()
	s := b.Subscribe(Filter{})
	for i := range 1000 {
		b.Publish("wg", JobChanged{ID: fmt.Sprint(i), State: "queued"})
	}
	evs := s.Take(nil)
	if !slices.Equal(seqs(evs), span(1, 1000)) {
		t.Fatalf("seqs %v...", seqs(evs)[:10])
	}
	for i, ev := range evs {
		var j JobChanged
		if err := ev.Decode(&j); err != nil {
			t.Fatal(err)
		}
		if ev.Kind != KindJobChanged || ev.Workgroup != "wg" || j.ID != fmt.Sprint(i) || ev.Time.IsZero() {
			t.Fatalf("event %d: %+v %+v", i, ev, j)
		}
	}
}

func TestFilter(t *testing.T) {
	t.Parallel()
	publish := func(b *Bus) {
		b.Publish("a", PresenceChanged{Peer: "p", State: "online"})   // 1
		b.Publish("b", PresenceChanged{Peer: "p", State: "away"})     // 2
		b.Publish("a", MemberJoined{Peer: "q"})                       // 3
		b.Publish("", TransferProgress{ID: "t", Bytes: 1})            // 4
		b.Publish("b", ShareChange{Name: "docs", Change: ShareAdded}) // 5
	}
	tests := []struct {
		name string
		f    Filter
		want []uint64
	}{
		{"all", Filter{}, []uint64{1, 2, 3, 4, 5}},
		{"kind", Filter{Kinds: []Kind{KindPresenceChanged}}, []uint64{1, 2}},
		{"kinds", Filter{Kinds: []Kind{KindMemberJoined, KindTransferProgress}}, []uint64{3, 4}},
		{"workgroup", Filter{Workgroup: "a"}, []uint64{1, 3}},
		{"both", Filter{Workgroup: "b", Kinds: []Kind{KindShareChanged}}, []uint64{5}},
		{"none", Filter{Workgroup: "c"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := New(Options{})
			defer b.Close()
			s := b.Subscribe(tt.f)
			publish(b)
			if got := seqs(s.Take(nil)); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			// The replay applies the same filter.
			_, replay := b.SubscribeAfter(tt.f, 0)
			if got := seqs(replay); !slices.Equal(got, tt.want) {
				t.Fatalf("replay %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSlowSubscriberGetsGap(t *testing.T) {
	t.Parallel()
	b := New(Options{Buffer: 4})
	defer b.Close()
	s := b.Subscribe(Filter{Kinds: []Kind{KindMailArrived}})
	fast := b.Subscribe(Filter{})
	for i := range 10 {
		b.Publish("", MailArrived{ID: fmt.Sprint(i)}) // seqs 1..10
		b.Publish("", JobChanged{ID: fmt.Sprint(i)})  // seqs 2..20, not matched by s
		_ = fast.Take(nil)
	}
	// Reading one frees a slot, but a slow subscriber stays marked until
	// it has drained its buffer: nothing is queued ahead of the gap.
	if ev, err := s.Next(context.Background()); err != nil || ev.Seq != 1 {
		t.Fatalf("first event %v %v", ev.Seq, err)
	}
	b.Publish("", MailArrived{ID: "late"}) // seq 21
	evs := s.Take(nil)
	if len(evs) != 4 || !slices.Equal(seqs(evs[:3]), []uint64{3, 5, 7}) {
		t.Fatalf("got %v, want 3 5 7 and a gap", seqs(evs))
	}
	want := Gap{Reason: GapSlow, Lost: 7, From: 9, To: 21}
	if g := gapOf(t, evs[3]); g != want || evs[3].Seq != 21 {
		t.Fatalf("gap %+v seq %d, want %+v seq 21", g, evs[3].Seq, want)
	}
	// Caught up: events flow again, and the fast subscriber lost nothing.
	b.Publish("", MailArrived{ID: "next"})
	if got := seqs(s.Take(nil)); !slices.Equal(got, []uint64{22}) {
		t.Fatalf("after gap got %v", got)
	}
	if got := fast.Take(nil); len(got) != 2 || got[1].Seq != 22 {
		t.Fatalf("fast subscriber got %v", seqs(got))
	}
}

func TestPublishNeverBlocks(t *testing.T) {
	t.Parallel()
	const n = 100_000
	b := New(Options{Buffer: 16})
	defer b.Close()
	s := b.Subscribe(Filter{}) // never read while publishing
	for i := range n {
		b.Publish("wg", TransferProgress{ID: "t", Bytes: int64(i)})
	}
	evs := s.Take(nil)
	if len(evs) != 17 {
		t.Fatalf("%d events held, want 16 and a gap", len(evs))
	}
	if g := gapOf(t, evs[16]); g.Lost != n-16 || g.From != 17 || g.To != n {
		t.Fatalf("gap %+v", g)
	}
}

func TestNilBus(t *testing.T) {
	t.Parallel()
	var b *Bus
	b.Publish("wg", MemberJoined{Peer: "p"})
	b.Close()
}

func TestPublishRejectsUnknownKinds(t *testing.T) {
	t.Parallel()
	b := New(Options{})
	defer b.Close()
	s := b.Subscribe(Filter{})
	b.Publish("", Gap{Reason: GapSlow})
	b.Publish("", badPayload{})
	b.Publish("", nil)
	if got := s.Take(nil); len(got) != 0 {
		t.Fatalf("published %v", got)
	}
}

type badPayload struct{}

func (badPayload) EventKind() Kind { return "x\ndata: injected" }

func TestCloseEndsSubscriptions(t *testing.T) {
	t.Parallel()
	b := New(Options{})
	s := b.Subscribe(Filter{})
	b.Publish("", MemberJoined{Peer: "p"})
	b.Close()
	b.Close()
	b.Publish("", MemberJoined{Peer: "q"})
	ctx := context.Background()
	if ev, err := s.Next(ctx); err != nil || ev.Seq != 1 {
		t.Fatalf("held event: %v %v", ev, err)
	}
	if _, err := s.Next(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("after drain: %v", err)
	}
	if late := b.Subscribe(Filter{}); late == nil {
		t.Fatal("nil subscription")
	} else if _, err := late.Next(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("subscribe on a closed bus: %v", err)
	}
	if b.Subscribers() != 0 {
		t.Fatalf("%d subscribers after close", b.Subscribers())
	}
}

func TestUnsubscribe(t *testing.T) {
	t.Parallel()
	b := New(Options{})
	defer b.Close()
	s := b.Subscribe(Filter{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled Next: %v", err)
	}
	s.Close()
	s.Close()
	b.Publish("", MemberJoined{Peer: "p"})
	if b.Subscribers() != 0 || len(s.Take(nil)) != 0 {
		t.Fatal("closed subscription still receives")
	}
	select {
	case <-s.Done():
	default:
		t.Fatal("Done not closed")
	}
}

func TestNextWakesOnPublish(t *testing.T) {
	t.Parallel()
	b := New(Options{})
	defer b.Close()
	s := b.Subscribe(Filter{})
	got := make(chan Event)
	go func() {
		ev, _ := s.Next(context.Background())
		got <- ev
	}()
	b.Publish("", MemberRemoved{Peer: "p"})
	if ev := <-got; ev.Kind != KindMemberRemoved {
		t.Fatalf("got %+v", ev)
	}
}

func TestConcurrentPublishersKeepOrder(t *testing.T) {
	t.Parallel()
	const writers, each = 4, 500
	b := New(Options{Buffer: writers * each})
	defer b.Close()
	s := b.Subscribe(Filter{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				b.Publish(fmt.Sprint(w), TransferProgress{ID: fmt.Sprint(w), Bytes: int64(i)})
			}
		})
	}
	wg.Wait()
	evs := s.Take(nil)
	if !slices.Equal(seqs(evs), span(1, writers*each)) {
		t.Fatalf("%d events, not in sequence", len(evs))
	}
	last := map[string]int64{}
	for _, ev := range evs {
		var p TransferProgress
		if err := ev.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if prev, ok := last[p.ID]; ok && p.Bytes != prev+1 {
			t.Fatalf("writer %s: %d after %d", p.ID, p.Bytes, prev)
		}
		last[p.ID] = p.Bytes
	}
}

func TestSubscribeAfter(t *testing.T) {
	t.Parallel()
	at := func(seq uint64) func(*Bus) string {
		return func(b *Bus) string { return FormatID(b.Epoch(), seq) }
	}
	fixed := func(id string) func(*Bus) string { return func(*Bus) string { return id } }
	tests := []struct {
		name string
		id   func(*Bus) string
		gap  *Gap
		want []uint64
	}{
		{"in buffer", at(8), nil, []uint64{9, 10}},
		{"up to date", at(10), nil, nil},
		{"expired", at(2), &Gap{Reason: GapExpired, Lost: 4, From: 3, To: 6}, []uint64{7, 8, 9, 10}},
		{"just kept", at(6), nil, []uint64{7, 8, 9, 10}},
		{"future", at(99), &Gap{Reason: GapReset}, []uint64{7, 8, 9, 10}},
		{"other bus", fixed(FormatID("0badbeef", 8)), &Gap{Reason: GapReset}, []uint64{7, 8, 9, 10}},
		{"garbage", fixed("nonsense"), &Gap{Reason: GapReset}, []uint64{7, 8, 9, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := New(Options{Replay: 4})
			defer b.Close()
			for i := range 10 {
				b.Publish("", JobChanged{ID: fmt.Sprint(i)})
			}
			s, replay := b.SubscribeAfterID(Filter{}, tt.id(b))
			if tt.gap != nil {
				if len(replay) == 0 {
					t.Fatal("no gap")
				}
				if g := gapOf(t, replay[0]); g != *tt.gap {
					t.Fatalf("gap %+v, want %+v", g, *tt.gap)
				}
				replay = replay[1:]
			}
			if got := seqs(replay); !slices.Equal(got, tt.want) {
				t.Fatalf("replay %v, want %v", got, tt.want)
			}
			b.Publish("", MemberJoined{Peer: "later"})
			if got := seqs(s.Take(nil)); !slices.Equal(got, []uint64{11}) {
				t.Fatalf("live after replay: %v", got)
			}
		})
	}
}
