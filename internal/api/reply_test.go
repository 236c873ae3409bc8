package api

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/events"
)

// replyRecorder is a ResponseWriter that keeps what is written and
// allocates nothing per reply once warm.
type replyRecorder struct {
	hdr    http.Header
	status int
	body   bytes.Buffer
}

func (r *replyRecorder) Header() http.Header         { return r.hdr }
func (r *replyRecorder) WriteHeader(status int)      { r.status = status }
func (r *replyRecorder) Write(p []byte) (int, error) { return r.body.Write(p) }

// A reply is written byte for byte as a fresh indenting json.Encoder
// wrote it (the reply is the API), with its status and Content-Type; a
// value that cannot be encoded gets the status and no body, as before;
// a pooled encoder left holding a large reply does not leak it into the
// next one.
func TestWriteJSONBytes(t *testing.T) {
	t.Parallel()
	big := make([]string, 0, 5000)
	for range cap(big) {
		big = append(big, "0123456789abcdef<&>")
	}
	for _, tc := range []struct {
		name   string
		status int
		v      any
		body   bool
	}{
		{"struct", http.StatusOK, thing{Name: "a <b> & \u2028 é", Size: 3}, true},
		{"large", http.StatusOK, big, true},
		{"after large", http.StatusOK, map[string]any{"z": 1, "a": []int{}, "n": nil}, true},
		{"error", http.StatusNotFound, NotFound("no thing %q", "x"), true},
		{"not encodable", http.StatusOK, math.Inf(1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			if err := enc.Encode(tc.v); (err == nil) != tc.body {
				t.Fatalf("encoding error %v", err)
			}
			r := &replyRecorder{hdr: http.Header{}}
			writeJSON(r, tc.status, tc.v)
			if r.status != tc.status || r.hdr.Get("Content-Type") != "application/json" || len(r.hdr["Content-Type"]) != 1 {
				t.Errorf("status %d, header %v", r.status, r.hdr)
			}
			if !bytes.Equal(r.body.Bytes(), want.Bytes()) {
				t.Errorf("body\n%q\nwant\n%q", r.body.Bytes(), want.Bytes())
			}
		})
	}
}

// Writing a small reply allocates nothing of its own once the pool is
// warm (a fresh encoder, its indentation buffer and the header's slice
// did, per request).
func TestWriteJSONAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	r := &replyRecorder{hdr: http.Header{}}
	var v any = &thing{Name: "a", Size: 1}
	n := testing.AllocsPerRun(200, func() {
		r.body.Reset()
		writeJSON(r, http.StatusOK, v)
	})
	if n > 0 {
		t.Errorf("writeJSON: %.1f allocations per reply, want 0", n)
	}
}

// BenchmarkWriteJSON: one small reply (a chat message's size) by
// writeJSON and by a fresh indenting encoder (what writeJSON did before).
//
//	go test -run '^$' -bench WriteJSON -benchmem ./internal/api/
func BenchmarkWriteJSON(b *testing.B) {
	type reply struct {
		ID, Room, Author string
		Seq              uint64
		Text             string
	}
	var v any = &reply{ID: "ab01cd", Room: "general", Author: "m3", Seq: 1234, Text: "message 1234 from m3 with some text"}
	r := &replyRecorder{hdr: http.Header{}}
	b.Run("pooled", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.body.Reset()
			writeJSON(r, http.StatusOK, v)
		}
	})
	b.Run("fresh", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.body.Reset()
			r.hdr.Set("Content-Type", "application/json")
			enc := json.NewEncoder(r)
			enc.SetIndent("", "  ")
			_ = enc.Encode(v)
		}
	})
}

// chatReplies are chat messages as Say replies them: plain, with every
// kind of escaping, mentions, a zero time; with attachments and with a
// time json.Marshal refuses the appender gives way to encoding/json.
func chatReplies() []events.ChatMessage {
	base := events.ChatMessage{ID: strings.Repeat("ab", 32), Workgroup: "wg1", Room: "general", Author: "m3",
		AuthorID: "12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo", Seq: 1234,
		Time: time.Unix(1764500000, 123456789).In(time.FixedZone("x", 3600)), Kind: "text", Text: "b 12 1764530000000000000"}
	out := []events.ChatMessage{base}
	for _, text := range []string{"", "a <b> & \u2028\u2029 é \x00\x1f\t\n\"\\", "\xff\xfe", "日本語 @m1"} {
		m := base
		m.Text, m.Author, m.Parent, m.Mentions = text, text+"x", "cd", []string{"m1", text}
		out = append(out, m)
	}
	zero := base
	zero.Time, zero.Peer, zero.Room, zero.Unread, zero.Presence = time.Time{}, "m9", "", true, "away"
	att := base
	att.Attachments = []events.ChatAttachment{{Name: "f<", Size: 3, Digest: "00", Ref: "r"}}
	odd := base
	odd.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	return append(out, zero, att, odd)
}

// TestReplyAppender: a reply that appends its own JSON (a chat message)
// is written byte for byte as the indenting encoder writes it.
func TestReplyAppender(t *testing.T) {
	t.Parallel()
	for i, m := range chatReplies() {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		encErr := enc.Encode(m)
		r := &replyRecorder{hdr: http.Header{}}
		writeJSON(r, http.StatusOK, m)
		if encErr != nil {
			want.Reset()
		}
		if !bytes.Equal(r.body.Bytes(), want.Bytes()) {
			t.Errorf("message %d: body\n%s\nwant\n%s", i, r.body.Bytes(), want.Bytes())
		}
	}
}

// BenchmarkWriteChatReply: a Say's reply by the message's own appender
// (writeJSON) and by the pooled indenting encoder (before).
//
//	go test -run '^$' -bench WriteChatReply -benchmem ./internal/api/
func BenchmarkWriteChatReply(b *testing.B) {
	var v any = chatReplies()[0]
	r := &replyRecorder{hdr: http.Header{}}
	b.Run("appender", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.body.Reset()
			writeJSON(r, http.StatusOK, v)
		}
	})
	b.Run("encoder", func(b *testing.B) {
		rep := jsonReplies.Get().(*jsonReply)
		b.ReportAllocs()
		for b.Loop() {
			r.body.Reset()
			rep.buf.Reset()
			_ = rep.enc.Encode(v)
			_, _ = r.Write(rep.buf.Bytes())
		}
	})
}
