package events

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// serve starts the handler for b on a loopback test server.
func serve(t *testing.T, h *Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// open GETs the stream; when the response arrives the subscription exists.
func open(t *testing.T, ctx context.Context, url, lastID string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %q", ct)
	}
	return resp
}

func readN(t *testing.T, r *Reader, n int) []Event {
	t.Helper()
	var out []Event
	for range n {
		ev, err := r.Next()
		if err != nil {
			t.Fatalf("after %d events: %v", len(out), err)
		}
		out = append(out, ev)
	}
	return out
}

func TestHandlerEndToEnd(t *testing.T) {
	t.Parallel()
	b := New(Options{})
	srv := serve(t, NewHandler(b))
	resp := open(t, context.Background(), srv.URL+"?kinds=presence.changed,member.joined&workgroup=w1", "")
	b.Publish("w1", PresenceChanged{Peer: "p1", State: "away"})
	b.Publish("w2", PresenceChanged{Peer: "p2", State: "away"}) // other workgroup
	b.Publish("w1", JobChanged{ID: "j"})                        // other kind
	b.Publish("w1", MemberJoined{Peer: "p3", Name: "carol"})
	r := NewReader(resp.Body)
	evs := readN(t, r, 2)
	if !slices.Equal(seqs(evs), []uint64{1, 4}) {
		t.Fatalf("got %v", seqs(evs))
	}
	var m MemberJoined
	if err := evs[1].Decode(&m); err != nil || m.Name != "carol" || evs[1].Workgroup != "w1" {
		t.Fatalf("member joined %+v %v", m, err)
	}
	if r.LastEventID() != FormatID(b.Epoch(), 4) {
		t.Fatalf("last id %q", r.LastEventID())
	}
	b.Close() // ends the stream
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after bus close: %v", err)
	}
}

func TestHandlerLastEventIDReplay(t *testing.T) {
	t.Parallel()
	b := New(Options{Replay: 4})
	defer b.Close()
	for range 10 {
		b.Publish("", MailArrived{ID: "m", From: "p"})
	}
	srv := serve(t, NewHandler(b))
	tests := []struct {
		name    string
		last    string
		gap     *Gap
		want    []uint64
		noFirst bool
	}{
		{"replay", FormatID(b.Epoch(), 8), nil, []uint64{9, 10}, false},
		{"expired", FormatID(b.Epoch(), 1), &Gap{Reason: GapExpired, Lost: 5, From: 2, To: 6}, []uint64{7, 8, 9, 10}, false},
		{"restart", "deadbeef-3", &Gap{Reason: GapReset}, []uint64{7, 8, 9, 10}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := open(t, context.Background(), srv.URL, tt.last)
			r := NewReader(resp.Body)
			n := len(tt.want)
			if tt.gap != nil {
				n++
			}
			evs := readN(t, r, n)
			if tt.gap != nil {
				if g := gapOf(t, evs[0]); g != *tt.gap {
					t.Fatalf("gap %+v, want %+v", g, *tt.gap)
				}
				evs = evs[1:]
			}
			if !slices.Equal(seqs(evs), tt.want) {
				t.Fatalf("replayed %v, want %v", seqs(evs), tt.want)
			}
		})
	}
}

func TestHandlerRejects(t *testing.T) {
	t.Parallel()
	b := New(Options{})
	defer b.Close()
	srv := serve(t, NewHandler(b))
	tests := []struct {
		method, query string
		status        int
	}{
		{http.MethodPost, "", http.StatusMethodNotAllowed},
		{http.MethodGet, "?kinds=nope", http.StatusBadRequest},
		{http.MethodGet, "?kinds=gap", http.StatusBadRequest},
		{http.MethodGet, "?workgroup=" + strings.Repeat("w", MaxWorkgroupParam+1), http.StatusBadRequest},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.query, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.query, resp.StatusCode, tt.status)
		}
	}
	if n := b.Subscribers(); n != 0 {
		t.Fatalf("%d subscribers left by rejected requests", n)
	}
}

// A client that goes away ends the handler and its subscription.
func TestHandlerClientGone(t *testing.T) {
	t.Parallel()
	b := New(Options{})
	defer b.Close()
	srv := httptest.NewServer(NewHandler(b))
	ctx, cancel := context.WithCancel(context.Background())
	resp := open(t, ctx, srv.URL, "")
	if b.Subscribers() != 1 {
		t.Fatalf("%d subscribers while connected", b.Subscribers())
	}
	cancel()
	resp.Body.Close()
	srv.Close() // returns once every handler has returned
	if n := b.Subscribers(); n != 0 {
		t.Fatalf("%d subscribers after the client left", n)
	}
}

func TestHandlerHeartbeat(t *testing.T) {
	t.Parallel()
	b := New(Options{})
	defer b.Close()
	srv := serve(t, &Handler{Bus: b, Heartbeat: 1})
	resp := open(t, context.Background(), srv.URL, "")
	br := bufio.NewReader(resp.Body)
	var lines []string
	for len(lines) < 4 {
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	want := []string{": peerhood events\n", "\n", ":\n", "\n"}
	if !slices.Equal(lines, want) {
		t.Fatalf("got %q, want %q", lines, want)
	}
}

// The wire form of one event, byte for byte.
func TestWriteEventFormat(t *testing.T) {
	t.Parallel()
	var sb strings.Builder
	ev := Event{Seq: 7, Kind: KindShareChanged, Workgroup: "w", Data: []byte(`{"name":"docs","change":"added"}`)}
	if err := WriteEvent(&sb, "ab12", ev); err != nil {
		t.Fatal(err)
	}
	want := "id: ab12-7\nevent: share.changed\ndata: {\"seq\":7,\"kind\":\"share.changed\",\"workgroup\":\"w\",\"time\":\"0001-01-01T00:00:00Z\",\"data\":{\"name\":\"docs\",\"change\":\"added\"}}\n\n"
	if sb.String() != want {
		t.Fatalf("got %q\nwant %q", sb.String(), want)
	}
}

// A client that stops reading never holds the publisher up: the
// handler's subscription overflows and the client, reading again, is
// told exactly what it lost.
func TestHandlerSlowClientGetsGap(t *testing.T) {
	t.Parallel()
	const n = 20_000
	b := New(Options{Buffer: 64})
	long := strings.Repeat("folder/", 150)
	defer b.Close()
	srv := serve(t, NewHandler(b))
	resp := open(t, context.Background(), srv.URL, "")
	for i := range n { // ~25 MB of SSE: more than the socket buffers hold
		b.Publish("wg", TransferProgress{ID: "t", Direction: DirectionUpload, Share: "docs", Path: long + "file.bin", Bytes: int64(i)})
	}
	r := NewReader(resp.Body)
	var seen, lost, gaps, last uint64
	for last < n {
		ev, err := r.Next()
		if err != nil {
			t.Fatalf("after seq %d: %v", last, err)
		}
		if ev.Kind == KindGap {
			g := gapOf(t, ev)
			if g.Reason != GapSlow || g.From != last+1 || g.To != ev.Seq || g.Lost != g.To-g.From+1 {
				t.Fatalf("gap %+v after seq %d", g, last)
			}
			lost += g.Lost
			gaps++
		} else {
			if ev.Seq != last+1 {
				t.Fatalf("seq %d after %d without a gap", ev.Seq, last)
			}
			seen++
		}
		last = ev.Seq
	}
	if gaps == 0 || seen+lost != n {
		t.Fatalf("seen %d + lost %d != %d (gaps %d)", seen, lost, n, gaps)
	}
	t.Logf("seen %d, lost %d in %d gaps", seen, lost, gaps)
}
