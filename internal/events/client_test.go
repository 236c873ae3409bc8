package events

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestStreamResumes(t *testing.T) {
	t.Parallel()
	b := New(Options{})
	srv := serve(t, NewHandler(b))
	for range 5 {
		b.Publish("wg", MemberJoined{Peer: "p"})
	}
	errStop := errors.New("stop")
	var got []uint64
	collect := func(stopAt uint64) func(Event) error {
		return func(ev Event) error {
			got = append(got, ev.Seq)
			if ev.Seq == stopAt {
				return errStop
			}
			return nil
		}
	}
	// A first stream from event 1 (an id of this bus at 0), stopped by
	// the callback after event 3.
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Last-Event-ID", FormatID(b.Epoch(), 0))
	last, err := Stream(http.DefaultClient, req, collect(3))
	if !errors.Is(err, errStop) || last != FormatID(b.Epoch(), 3) {
		t.Fatalf("first stream: %q %v", last, err)
	}
	// Resumed from there, until the bus closes.
	req, _ = http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Last-Event-ID", last)
	last, err = Stream(http.DefaultClient, req, func(ev Event) error {
		if ev.Seq == 5 {
			b.Close() // ends the stream after this event
		}
		return collect(0)(ev)
	})
	if err != nil || last != FormatID(b.Epoch(), 5) {
		t.Fatalf("resumed stream: %q %v", last, err)
	}
	if !slices.Equal(got, []uint64{1, 2, 3, 4, 5}) {
		t.Fatalf("events %v", got)
	}
}

func TestStreamErrors(t *testing.T) {
	t.Parallel()
	b := New(Options{})
	defer b.Close()
	srv := serve(t, NewHandler(b))
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"?kinds=bogus", nil)
	if _, err := Stream(http.DefaultClient, req, func(Event) error { return nil }); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Fatalf("bad kinds: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	req.Header.Set("Last-Event-ID", FormatID(b.Epoch(), 0)) // replays the event
	b.Publish("", MemberJoined{Peer: "p"})
	_, err := Stream(http.DefaultClient, req, func(Event) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
}
