package events

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// An event the bus published is written from the message encoded at
// Publish, byte for byte what encoding it anew writes (WriteEvent's
// path for other events); its Data is the payload's JSON, and appending
// to Data leaves the message alone. With another epoch the event is
// encoded anew.
func TestPublishedEventFrame(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 15, 4, 5, 123456789, time.FixedZone("x", 3600))
	b := New(Options{Now: func() time.Time { return at }})
	defer b.Close()
	sub := b.Subscribe(Filter{})
	defer sub.Close()
	for _, tc := range []struct {
		wg string
		p  Payload
	}{
		{"", MemberJoined{Peer: "p", Name: "n"}},
		{"wg1", ChatMessage{ID: "ab", Room: "general", Text: "<b>&</b> \u2028 é \"q\" \\", Mentions: []string{"a"}}},
		{"w<g>&\u2028", ShareChange{Name: "docs", Change: "added"}},
	} {
		b.Publish(tc.wg, tc.p)
		evs := sub.Take(nil)
		if len(evs) != 1 {
			t.Fatalf("%T: %d events", tc.p, len(evs))
		}
		ev := evs[0]
		want, _ := json.Marshal(tc.p)
		if string(ev.Data) != string(want) {
			t.Errorf("%T: data %s, want %s", tc.p, ev.Data, want)
		}
		var got, fresh strings.Builder
		if err := WriteEvent(&got, b.Epoch(), ev); err != nil {
			t.Fatal(err)
		}
		plain := ev
		plain.sse = nil
		if err := WriteEvent(&fresh, b.Epoch(), plain); err != nil {
			t.Fatal(err)
		}
		if got.String() != fresh.String() {
			t.Errorf("%T: published message\n%q\nencoded anew\n%q", tc.p, got.String(), fresh.String())
		}
		if _, ok := ev.frame(b.Epoch()); !ok {
			t.Errorf("%T: no message encoded at Publish", tc.p)
		}
		_ = append(ev.Data, "xxxx"...)
		var again strings.Builder
		_ = WriteEvent(&again, b.Epoch(), ev)
		if again.String() != fresh.String() {
			t.Errorf("%T: appending to Data changed the message: %q", tc.p, again.String())
		}
		var other strings.Builder
		_ = WriteEvent(&other, "beef", ev)
		if !strings.HasPrefix(other.String(), fmt.Sprintf("id: beef-%d\n", ev.Seq)) {
			t.Errorf("%T: another epoch's id: %q", tc.p, other.String())
		}
	}
}
