package chat

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/libp2p/go-libp2p/core/crypto"
)

// parseAfter (the push reader's parse: the previous message of the
// stream as a hint) returns what parse returns, and shares the hint's
// workgroup, room and author texts only when they are equal.
func TestParseAfter(t *testing.T) {
	ka, a := newPeer(t)
	kb, b := newPeer(t)
	mk := func(k crypto.PrivKey, bd body) *msg {
		t.Helper()
		bd.V, bd.Kind, bd.HLC, bd.Seq = version, KindText, 1, 1
		m, err := sign(k, bd)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	prev, _, err := parse(mk(ka, body{Workgroup: "wg1", Room: "general", Author: []byte(a), Text: "one"}).raw)
	if err != nil {
		t.Fatal(err)
	}
	same := func(x, y string) bool { return unsafe.StringData(x) == unsafe.StringData(y) }
	for _, c := range []struct {
		name                   string
		m                      *msg
		wg, room, author, text bool // shared with prev
	}{
		{"same log and author", mk(ka, body{Workgroup: "wg1", Room: "general", Author: []byte(a), Text: "two"}), true, true, true, false},
		{"other room", mk(ka, body{Workgroup: "wg1", Room: "random", Author: []byte(a), Text: "two"}), true, false, true, false},
		{"other workgroup", mk(ka, body{Workgroup: "wg2", Room: "general", Author: []byte(a), Text: "two"}), false, true, true, false},
		{"other author", mk(kb, body{Workgroup: "wg1", Room: "general", Author: []byte(b), Text: "two"}), true, true, false, false},
		{"same text", mk(ka, body{Workgroup: "wg1", Room: "general", Author: []byte(a), Text: "one"}), true, true, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, gs, err := parseAfter(c.m.raw, prev)
			if err != nil {
				t.Fatal(err)
			}
			want, ws, err := parse(c.m.raw)
			if err != nil {
				t.Fatal(err)
			}
			if err := sameMsg(got, want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gs, ws) {
				t.Fatal("signed envelope differs")
			}
			for _, f := range []struct {
				name      string
				x, y      string
				wantShare bool
			}{
				{"workgroup", got.Workgroup, prev.Workgroup, c.wg},
				{"room", got.Room, prev.Room, c.room},
				{"author ID", string(got.author()), string(prev.author()), c.author},
				{"author text", got.authorID(), prev.authorID(), c.author},
				{"text", got.Text, prev.Text, c.text},
			} {
				if same(f.x, f.y) != f.wantShare {
					t.Errorf("%s shared with the previous message: %v, want %v", f.name, same(f.x, f.y), f.wantShare)
				}
			}
		})
	}
	// Fewer allocations than parse for a message like the last one.
	next := mk(ka, body{Workgroup: "wg1", Room: "general", Author: []byte(a), Text: "three"})
	plain := testing.AllocsPerRun(100, func() { _, _, _ = parse(next.raw) })
	after := testing.AllocsPerRun(100, func() { _, _, _ = parseAfter(next.raw, prev) })
	if after > plain-2 {
		t.Fatalf("parseAfter %v allocations, parse %v: the hint saved fewer than 2", after, plain)
	}
}

// sameMsg compares what parse fills in a message.
func sameMsg(got, want *msg) error {
	switch {
	case !reflect.DeepEqual(got.body, want.body):
		return fmt.Errorf("body %+v, want %+v", got.body, want.body)
	case got.id != want.id || got.ID() != want.ID():
		return errors.New("ID differs")
	case got.author() != want.author() || got.authorID() != want.authorID():
		return fmt.Errorf("author %s (%s), want %s (%s)", got.author(), got.authorID(), want.author(), want.authorID())
	case !bytes.Equal(got.raw, want.raw):
		return errors.New("raw differs")
	}
	return nil
}

// FuzzParseAfter: whatever the input, parseAfter (after each seed
// message as the hint) accepts and returns exactly what parse does.
func FuzzParseAfter(f *testing.F) {
	seeds := seedMessages(f)
	for _, raw := range seeds {
		f.Add(raw)
	}
	var prevs []*msg
	for _, raw := range seeds {
		m, _, err := parse(raw)
		if err != nil {
			f.Fatal(err)
		}
		prevs = append(prevs, m)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		want, ws, werr := parse(raw)
		for _, prev := range prevs {
			got, gs, gerr := parseAfter(raw, prev)
			if (gerr == nil) != (werr == nil) {
				t.Fatalf("parseAfter error %v, parse error %v", gerr, werr)
			}
			if werr != nil {
				continue
			}
			if err := sameMsg(got, want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gs, ws) {
				t.Fatal("signed envelope differs")
			}
		}
	})
}

// BenchmarkParseAfter: the push reader's parse of a message like the
// stream's last one, against parse.
//
//	go test -run '^$' -bench ParseAfter -benchmem ./internal/chat/
func BenchmarkParseAfter(b *testing.B) {
	ka, a := newPeer(b)
	bd := body{V: version, Workgroup: "wg1", Room: "bench", Author: []byte(a), Seq: 2, Prev: make([]byte, 32), HLC: 1, Kind: KindText, Text: strings.Repeat("x", 100)}
	m, err := sign(ka, bd)
	if err != nil {
		b.Fatal(err)
	}
	prev, _, err := parse(m.raw)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := parse(m.raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("after", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := parseAfter(m.raw, prev); err != nil {
				b.Fatal(err)
			}
		}
	})
}
