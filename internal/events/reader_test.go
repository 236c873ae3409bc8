package events

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func readAll(r *Reader) ([]Message, error) {
	var out []Message
	for {
		m, err := r.ReadMessage()
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
}

// The cases follow "Interpreting an event stream" of the HTML Living Standard.
func TestReaderSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		stream string
		want   []Message
		end    error
	}{
		{"lf", "id: 1\nevent: a\ndata: x\n\n", []Message{{"1", "a", "x"}}, io.EOF},
		{"crlf", "id: 1\r\nevent: a\r\ndata: x\r\n\r\n", []Message{{"1", "a", "x"}}, io.EOF},
		{"cr", "id: 1\revent: a\rdata: x\r\r", []Message{{"1", "a", "x"}}, io.EOF},
		{"bom", "\ufeffdata: x\n\n", []Message{{"", "message", "x"}}, io.EOF},
		{"bom only at start", "data: x\n\n\ufeffdata: y\n\n", []Message{{"", "message", "x"}}, io.EOF},
		{"comments", ": hi\n:\ndata: x\n\n:\n\n", []Message{{"", "message", "x"}}, io.EOF},
		{"no space", "data:x\nevent:e\n\n", []Message{{"", "e", "x"}}, io.EOF},
		{"one space stripped", "data:  x\n\n", []Message{{"", "message", " x"}}, io.EOF},
		{"multi data", "data: a\ndata\ndata: b\n\n", []Message{{"", "message", "a\n\nb"}}, io.EOF},
		{"no data no dispatch", "event: a\nid: 5\n\ndata: x\n\n", []Message{{"5", "message", "x"}}, io.EOF},
		{"id persists", "id: 5\ndata: x\n\ndata: y\n\n", []Message{{"5", "message", "x"}, {"5", "message", "y"}}, io.EOF},
		{"id with NUL ignored", "id: 5\n\nid: a\x00b\ndata: x\n\n", []Message{{"5", "message", "x"}}, io.EOF},
		{"unknown field", "foo: bar\ndata: x\n\n", []Message{{"", "message", "x"}}, io.EOF},
		{"unfinished dropped", "data: x\n\ndata: y\n", []Message{{"", "message", "x"}}, io.ErrUnexpectedEOF},
		{"unterminated line", "data: x\n\ndata: y", []Message{{"", "message", "x"}}, io.ErrUnexpectedEOF},
		{"empty", "", nil, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// One byte at a time too: a CR at the end of a read must not wait.
			for _, src := range []io.Reader{strings.NewReader(tt.stream), iotest.OneByteReader(strings.NewReader(tt.stream))} {
				got, err := readAll(NewReader(src))
				if !slices.Equal(got, tt.want) || !errors.Is(err, tt.end) {
					t.Fatalf("got %q, %v; want %q, %v", got, err, tt.want, tt.end)
				}
			}
		})
	}
}

func TestReaderRetry(t *testing.T) {
	t.Parallel()
	r := NewReader(strings.NewReader("retry: 2500\n\nretry: 1x\n\nretry: -1\n\n"))
	_, _ = readAll(r)
	if r.Retry() != 2500*time.Millisecond {
		t.Fatalf("retry %v", r.Retry())
	}
}

func TestReaderLimits(t *testing.T) {
	t.Parallel()
	long := "data: " + strings.Repeat("x", MaxLine) + "\n\n"
	if _, err := NewReader(strings.NewReader(long)).ReadMessage(); !errors.Is(err, ErrTooLong) {
		t.Fatalf("long line: %v", err)
	}
	line := "data: " + strings.Repeat("x", 1<<19) + "\n"
	many := strings.Repeat(line, MaxMessage/(1<<19)+1) + "\n"
	if _, err := NewReader(strings.NewReader(many)).ReadMessage(); !errors.Is(err, ErrTooLong) {
		t.Fatalf("long message: %v", err)
	}
}

func TestReaderNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		stream string
		want   Event
		bad    bool
	}{
		{"event", "id: e-3\nevent: member.joined\ndata: {\"seq\":3,\"kind\":\"member.joined\",\"data\":{\"peer\":\"p\"}}\n\n",
			Event{Seq: 3, Kind: KindMemberJoined, Data: []byte(`{"peer":"p"}`)}, false},
		{"seq from id", "id: e-9\nevent: gap\ndata: {\"data\":{}}\n\n",
			Event{Seq: 9, Kind: KindGap, Data: []byte(`{}`)}, false},
		{"not json", "data: hello\n\n", Event{}, true},
		{"kind mismatch", "event: gap\ndata: {\"kind\":\"member.joined\"}\n\n", Event{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := NewReader(strings.NewReader(tt.stream)).Next()
			if tt.bad {
				if !errors.Is(err, ErrBadEvent) {
					t.Fatalf("err %v, want ErrBadEvent", err)
				}
				return
			}
			if err != nil || ev.Seq != tt.want.Seq || ev.Kind != tt.want.Kind || string(ev.Data) != string(tt.want.Data) {
				t.Fatalf("got %+v %v, want %+v", ev, err, tt.want)
			}
		})
	}
}
