package events

import (
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzReader: any byte stream decodes without panic, within the limits,
// and into messages whose fields hold no line breaks (type, id) or NUL (id).
func FuzzReader(f *testing.F) {
	f.Add([]byte("id: ab-1\nevent: member.joined\ndata: {\"seq\":1,\"kind\":\"member.joined\",\"data\":{}}\n\n"))
	f.Add([]byte("\ufeff: c\r\ndata: a\rdata:b\r\n\r\nretry: 10\n\n"))
	f.Add([]byte("data\n\nid\x00\nevent\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// The same stream with every line ending made LF reads the same.
		want, wantErr := readAll(NewReader(strings.NewReader(lfLines(string(b)))))
		got, gotErr := readAll(NewReader(strings.NewReader(string(b))))
		if !errors.Is(gotErr, ErrTooLong) && !errors.Is(wantErr, ErrTooLong) && !slices.Equal(got, want) {
			t.Fatalf("CR/CRLF stream read %q, LF stream %q", got, want)
		}
		r := NewReader(strings.NewReader(string(b)))
		for range 1000 {
			m, err := r.ReadMessage()
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrTooLong) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if len(m.Data) > MaxMessage || strings.ContainsAny(m.Event, "\r\n") || strings.ContainsAny(m.ID, "\r\n\x00") {
				t.Fatalf("bad message %q", m)
			}
			if ev, err := DecodeMessage(m); err == nil && string(ev.Kind) != m.Event {
				t.Fatalf("kind %q from event type %q", ev.Kind, m.Event)
			}
		}
	})
}

// lfLines rewrites s with LF line ends, dropping a last line without one.
func lfLines(s string) string {
	var out strings.Builder
	for {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			return out.String()
		}
		out.WriteString(s[:i])
		out.WriteByte('\n')
		if strings.HasPrefix(s[i:], "\r\n") {
			i++
		}
		s = s[i+1:]
	}
}

// FuzzRoundTrip: what WriteEvent writes, the Reader reads back unchanged.
func FuzzRoundTrip(f *testing.F) {
	f.Add(uint8(0), "wg", uint64(1), "text", int64(0))
	f.Add(uint8(3), "w\ng\r", uint64(1<<63), "a\u2028b\x00\r\n", int64(1700000000123456789))
	f.Fuzz(func(t *testing.T, k uint8, wg string, seq uint64, text string, ns int64) {
		if !utf8.ValidString(wg) {
			return // encoding/json would write it as U+FFFD: equal, not the same bytes
		}
		data, _ := json.Marshal(map[string]string{"text": text})
		ev := Event{Seq: seq, Kind: Kinds[int(k)%len(Kinds)], Workgroup: wg, Time: time.Unix(0, ns).UTC(), Data: data}
		var sb strings.Builder
		if err := WriteEvent(&sb, "e", ev); err != nil {
			return // not encodable (e.g. a time out of JSON's range)
		}
		r := NewReader(strings.NewReader(sb.String()))
		got, err := r.Next()
		if err != nil {
			t.Fatalf("read back: %v\n%q", err, sb.String())
		}
		want, _ := json.Marshal(ev)
		have, _ := json.Marshal(got)
		if string(want) != string(have) || r.LastEventID() != FormatID("e", seq) {
			t.Fatalf("round trip\n%s\n%s", want, have)
		}
	})
}
