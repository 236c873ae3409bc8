//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/api"
	at "github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/events"
)

// sseOf is the SSE stream a node's events handler writes for msgs (one
// chat.message each, a presence event and a heartbeat between).
func sseOf(tb testing.TB, msgs []events.ChatMessage) []byte {
	tb.Helper()
	bus := events.New(events.Options{Replay: len(msgs)*2 + 2, Buffer: len(msgs)*2 + 2})
	sub := bus.Subscribe(events.Filter{})
	for i := range msgs {
		bus.PublishChat(msgs[i].Workgroup, &msgs[i])
		bus.Publish("", events.PresenceChanged{Peer: "x", State: "online", Text: `"room":"bench","text":"b 1 2"`})
	}
	var buf bytes.Buffer
	buf.WriteString(": peerhood events\n\n")
	for _, ev := range sub.Take(nil) {
		if err := events.WriteEvent(&buf, bus.Epoch(), ev); err != nil {
			tb.Fatal(err)
		}
		buf.WriteString(":\n\n")
	}
	return buf.Bytes()
}

// textsByJSON is what the stream holds for room, read by the events
// package's reader and decoded by encoding/json: the text of every
// chat.message of the room (an empty text counts as none: it is omitted).
func textsByJSON(tb testing.TB, stream []byte, room string) []string {
	tb.Helper()
	rd := events.NewReader(bytes.NewReader(stream))
	var out []string
	for {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			tb.Fatal(err)
		}
		if ev.Kind != events.KindChatMessage {
			continue
		}
		var cm events.ChatMessage
		if err := json.Unmarshal(ev.Data, &cm); err != nil {
			tb.Fatal(err)
		}
		if cm.Room == room && cm.Text != "" {
			out = append(out, cm.Text)
		}
	}
}

// textsByScanner is the same read by eventScanner.
func textsByScanner(tb testing.TB, stream []byte, room string) []string {
	tb.Helper()
	sc := newEventScanner(bytes.NewReader(stream), room)
	var out []string
	for {
		text, err := sc.next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, string(text))
	}
}

func chatMsg(room, author, text string) events.ChatMessage {
	return events.ChatMessage{
		ID: strings.Repeat("ab", 32), Workgroup: "wg1", Room: room, Author: author, AuthorID: "12D3KooWxyz",
		Seq: 7, Time: time.Unix(1764530000, 123456789).UTC(), Kind: "text", Text: text,
	}
}

// TestChatText: the scanner finds the same texts of the same room as
// encoding/json, whatever the room, author and text hold.
func TestChatText(t *testing.T) {
	tricky := []string{
		"b 1 1764530000000000000", "", "plain", `quote " inside`, `"room":"bench"`, `"text":"b 9 9"`,
		`back\slash`, `\"`, "tab\tnew\nline", "<html>&amp;", "é ü 日本", "\u2028", `b 2 3\`, "\x00\x1f",
	}
	var msgs []events.ChatMessage
	for _, room := range []string{"bench", "bench2", "ben", `be"nch`, "<bench>"} {
		for _, author := range []string{"m1", `"text":"x`, `a"room":"bench"`, "\\"} {
			for _, text := range tricky {
				m := chatMsg(room, author, text)
				m.Mentions = []string{`"text":"no`}
				msgs = append(msgs, m)
			}
		}
	}
	att := chatMsg("bench", "m1", "b 5 6") // encoded by json.Marshal (attachments)
	att.Attachments = []events.ChatAttachment{{Name: `"text":"a`, Size: 1, Digest: "00", Ref: "r"}}
	msgs = append(msgs, att, events.ChatMessage{ID: "dm", Workgroup: "wg1", Peer: "p", Author: "m1", Kind: "text", Text: "b 1 2"})
	stream := sseOf(t, msgs)
	for _, room := range []string{"bench", "bench2", `be"nch`, "<bench>", "nothere"} {
		want, got := textsByJSON(t, stream, room), textsByScanner(t, stream, room)
		if fmt.Sprintf("%q", want) != fmt.Sprintf("%q", got) {
			t.Errorf("room %q:\nencoding/json %q\nscanner       %q", room, want, got)
		}
		if room == "bench" && len(want) < len(tricky) {
			t.Errorf("room bench: only %d texts found", len(want))
		}
	}
	// CRLF line ends, data in two lines, a line longer than the buffer.
	long := strings.Repeat("x", 70<<10)
	crlf := "event: chat.message\r\ndata: {\"data\":{\"room\":\"bench\",\r\ndata: \"text\":\"b 1 2\"}}\r\n\r\n" +
		"event: chat.message\ndata: {\"data\":{\"room\":\"bench\",\"text\":\"" + long + "\"}}\n\n"
	if got := textsByScanner(t, []byte(crlf), "bench"); len(got) != 2 || got[0] != "b 1 2" || got[1] != long {
		t.Errorf("CRLF and a long line: %d texts", len(got))
	}
}

// FuzzChatText compares the scanner with encoding/json on chat messages
// of any room, author and text.
func FuzzChatText(f *testing.F) {
	f.Add("bench", "m1", "b 1 2")
	f.Add("bench", `"text":"`, `x\"y`)
	f.Add(`"`, `\`, `"room":"\""`)
	f.Fuzz(func(t *testing.T, room, author, text string) {
		stream := sseOf(t, []events.ChatMessage{chatMsg(room, author, text), chatMsg("bench", text, room)})
		for _, r := range []string{room, "bench", text} {
			want, got := textsByJSON(t, stream, r), textsByScanner(t, stream, r)
			if fmt.Sprintf("%q", want) != fmt.Sprintf("%q", got) {
				t.Fatalf("room %q:\nencoding/json %q\nscanner       %q", r, want, got)
			}
		}
	})
}

// TestBenchText: the direct parse agrees with strings.Fields, Atoi and
// ParseInt (benchTextSlow) on bench texts and near misses.
func TestBenchText(t *testing.T) {
	for _, s := range []string{
		"b 1 1764530000000000000", "b 0 0", "b 12345 1764530000123456789", " b 1 2", "b  1 2", "b 1 2 ", "b\t1\t2",
		"b 1 2 3", "b 1", "b", "", "c 1 2", "b -1 2", "b +1 2", "b 1 -2", "b 1 9223372036854775807",
		"b 1 9223372036854775808", "b 123456789012345678 1", "b 1234567890123456789 1", "b 1x 2", "b 1 2x", "bb 1 2",
		"b 1\n2", "b ١ 2",
	} {
		k, ns, ok := benchText([]byte(s))
		wk, wns, wok := benchTextSlow(s)
		if k != wk || ns != wns || ok != wok {
			t.Errorf("%q: benchText %d %d %v, Fields %d %d %v", s, k, ns, ok, wk, wns, wok)
		}
	}
}

func FuzzBenchText(f *testing.F) {
	f.Add("b 1 1764530000000000000")
	f.Add("b 99999999999999999999 1")
	f.Fuzz(func(t *testing.T, s string) {
		k, ns, ok := benchText([]byte(s))
		wk, wns, wok := benchTextSlow(s)
		if k != wk || ns != wns || ok != wok {
			t.Fatalf("%q: benchText %d %d %v, Fields %d %d %v", s, k, ns, ok, wk, wns, wok)
		}
	})
}

// TestSayBody: the request body is json.Marshal's.
func TestSayBody(t *testing.T) {
	for _, s := range []string{"bench", "b 1 2", `a"b`, `\`, "<&>", "é", "\n"} {
		want, _ := json.Marshal(at.ChatSayRequest{Workgroup: s, Room: s + "r", Text: "x" + s})
		if got := sayBody(nil, s, s+"r", "x"+s); !bytes.Equal(got, want) {
			t.Errorf("%q: %s, json.Marshal %s", s, got, want)
		}
	}
}

// TestSayConn: Says over one kept-alive connection; a refused one is a
// send error and the connection goes on; replies long or short.
func TestSayConn(t *testing.T) {
	home, err := os.MkdirTemp("", "sayconn")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(home)
	l, err := net.Listen("unix", filepath.Join(home, api.SocketFile))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	conns := 0
	var bodies []string
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			bodies = append(bodies, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type")+" "+string(b))
			switch string(b) {
			case "refuse":
				http.Error(w, "refused", http.StatusForbidden)
			case "long": // chunked
				w.Write(bytes.Repeat([]byte("y"), 100<<10))
			default:
				w.Write([]byte(`{"id":"x"}`))
			}
		}),
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				mu.Lock()
				defer mu.Unlock()
				conns++
			}
		},
	}
	go srv.Serve(l)
	defer srv.Close()
	c := newSayConn(home)
	for i, b := range []string{"one", "long", "refuse", "two", "long", "three"} {
		err := c.say([]byte(b))
		if (err != nil) != (b == "refuse") {
			t.Fatalf("say %d %q: %v", i, b, err)
		}
	}
	mu.Lock()
	if conns != 1 || len(bodies) != 6 || bodies[0] != "POST /v1/chat/say application/json one" {
		t.Errorf("%d connections, requests %q", conns, bodies)
	}
	mu.Unlock()
	srv.Close()
	if err := c.say([]byte("after")); err == nil {
		t.Error("a Say to a closed server did not fail")
	}
}
