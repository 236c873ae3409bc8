package events

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The chat.message payload's own encoder writes exactly what json.Marshal
// writes (the event JSON is a public API), and declines what it does not
// handle.
func TestChatMessageJSON(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 15, 4, 5, 123000000, time.UTC)
	full := ChatMessage{
		ID: "ab01", Workgroup: "wg", Room: "general", Peer: "bob", Author: "alice", AuthorID: "12D3Koo",
		Seq: 18446744073709551615, Time: at, Kind: "text", Text: "hi", Parent: "cd", Target: "ef",
		Mentions: []string{"bob", "<carol>"}, Unread: true, Presence: "away",
	}
	for _, tc := range []struct {
		name string
		m    ChatMessage
		ok   bool
	}{
		{"zero", ChatMessage{}, true},
		{"every field", full, true},
		{"escapes", ChatMessage{Text: "<b>&</b> \"q\" \\ \b\f\n\r\t\x00\x1f\x7f é \u2028\u2029 \xff\xfe \xe2\x80 ok", Author: "a&b"}, true},
		{"zoned time", ChatMessage{Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", -5*3600-30*60))}, true},
		{"local time", ChatMessage{Time: time.UnixMilli(1764500000123)}, true},
		{"empty mentions", ChatMessage{Mentions: []string{}, Text: "x"}, true},
		{"attachments", ChatMessage{Text: "f", Attachments: []ChatAttachment{{Name: "a.txt", Size: 3, Digest: "00", Ref: "r"}}}, false},
		{"year 10000", ChatMessage{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.m.appendJSON([]byte("prefix"))
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			want, err := json.Marshal(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "prefix"+string(want) {
				t.Fatalf("appended\n%s\njson.Marshal\n%s", got, want)
			}
		})
	}
}

// FuzzChatMessageJSON: for any texts, the payload's own encoder writes
// json.Marshal's bytes.
func FuzzChatMessageJSON(f *testing.F) {
	f.Add("general", "alice", "hello <world> & \u2028", "m", int64(1764500000123), uint64(7), true)
	f.Add("", "\xff", "\x00\x1f\"\\", "", int64(0), uint64(0), false)
	f.Fuzz(func(t *testing.T, room, author, text, mention string, ms int64, seq uint64, unread bool) {
		m := ChatMessage{ID: text, Workgroup: room, Room: room, Peer: author, Author: author, AuthorID: mention,
			Seq: seq, Time: time.UnixMilli(ms).UTC(), Kind: mention, Text: text, Parent: room, Target: author,
			Unread: unread, Presence: mention}
		if mention != "" {
			m.Mentions = []string{mention, text}
		}
		want, err := json.Marshal(m)
		got, ok := m.appendJSON(nil)
		if ok != (err == nil) {
			t.Fatalf("appendJSON ok %v, json.Marshal error %v", ok, err)
		}
		if ok && string(got) != string(want) {
			t.Fatalf("appended\n%s\njson.Marshal\n%s", got, want)
		}
	})
}

// A chat message is published with one buffer (its whole SSE message),
// by Publish besides the payload's boxing, by PublishChat with nothing
// else: no encoding/json buffers. PublishChat's event is Publish's. Its message is
// the one WriteEvent writes when encoding the event anew, also when the
// workgroup outgrows the room left for the message's start, and a
// message the encoder declines (attachments) is published as before.
func TestPublishChatMessage(t *testing.T) {
	b := New(Options{})
	defer b.Close()
	sub := b.Subscribe(Filter{})
	defer sub.Close()
	long := strings.Repeat("<&>", 100)
	for _, tc := range []struct{ wg, text string }{{"wg1", "hello"}, {long, "x"}, {"w", long}} {
		for _, attach := range []bool{false, true} {
			m := ChatMessage{ID: "ab", Workgroup: tc.wg, Room: "general", Text: tc.text, Time: time.UnixMilli(1764500000123), Kind: "text"}
			if attach {
				m.Attachments = []ChatAttachment{{Name: "a", Digest: "00", Ref: "r"}}
			}
			b.Publish(tc.wg, m)
			b.PublishChat(tc.wg, &m)
			evs := sub.Take(nil)
			if len(evs) != 2 {
				t.Fatalf("%d events", len(evs))
			}
			if evs[0].Seq+1 != evs[1].Seq || evs[1].Kind != KindChatMessage || evs[1].Workgroup != tc.wg || string(evs[0].Data) != string(evs[1].Data) {
				t.Errorf("PublishChat's event %+v, Publish's %+v", evs[1], evs[0])
			}
			evs = evs[1:]
			want, _ := json.Marshal(m)
			if string(evs[0].Data) != string(want) {
				t.Errorf("data %s, want %s", evs[0].Data, want)
			}
			var got, fresh strings.Builder
			_ = WriteEvent(&got, b.Epoch(), evs[0])
			plain := evs[0]
			plain.sse = nil
			_ = WriteEvent(&fresh, b.Epoch(), plain)
			if _, ok := evs[0].frame(b.Epoch()); !ok || got.String() != fresh.String() {
				t.Errorf("published message (%v)\n%q\nencoded anew\n%q", ok, got.String(), fresh.String())
			}
		}
	}
	sub.Close()
	m := ChatMessage{ID: "ab", Workgroup: "wg1", Room: "general", Author: "alice", AuthorID: "12D3KooW", Text: "hello there", Time: time.UnixMilli(1764500000123), Kind: "text"}
	var p Payload = m
	if n := testing.AllocsPerRun(100, func() { b.Publish("wg1", p) }); n > 1 {
		t.Errorf("Publish of a chat message: %.0f allocations, want 1", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		c := m // a message made for the call, as chat makes it
		b.PublishChat("wg1", &c)
	}); n > 1 {
		t.Errorf("PublishChat: %.0f allocations, want 1", n)
	}
}
