package ircgw

import (
	"strings"
	"testing"
	"time"
)

// TestReadMarker: draft/read-marker's MARKREAD: told after JOIN before
// 366 ("*" before any), set forward only (an older timestamp is answered
// with the stored one), asked, told to the USER's other clients with the
// capability, never past now, errors as FAIL; setting it moves the
// last-seen mark, so a client without chathistory is not played back
// what was read.
func TestReadMarker(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.alice.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	msgs := postN(t, tn, "wg-home", "general", 2)
	ts := func(m Message) string { return "timestamp=" + m.Time.UTC().Format(timeFormat) }
	s := startGateway(t, tn.alice, nil)
	a := dial(t, s)
	a.silent = true // never acknowledges: only MARKREAD moves the marks
	got := a.register("draft/read-marker")
	got = append(got, a.until("366")...)
	var order []string
	for _, l := range got {
		if l.Command == "JOIN" || l.Command == "MARKREAD" || l.Command == "366" {
			order = append(order, l.Command+" "+l.Param(0)+" "+l.Param(1))
		}
	}
	if strings.Join(order, ", ") != "JOIN #general , MARKREAD #general *, 366 alice #general" {
		t.Fatalf("after JOIN: %q", order)
	}
	a.send("PING :playback")
	a.until("PONG")
	b := dial(t, s)
	b.silent = true
	b.register("draft/read-marker")
	b.until("366")
	b.send("PING :playback")
	b.until("PONG")

	for _, tc := range []struct{ line, want string }{
		{"MARKREAD #general " + ts(msgs[0]), "MARKREAD #general " + ts(msgs[0])},
		{"MARKREAD #general timestamp=2000-01-01T00:00:00.000Z", "MARKREAD #general " + ts(msgs[0])},
		{"MARKREAD #GENERAL", "MARKREAD #general " + ts(msgs[0])},
		{"MARKREAD bob", "MARKREAD bob *"},
		{"MARKREAD", "FAIL MARKREAD NEED_MORE_PARAMS"},
		{"MARKREAD #nope", "MARKREAD #nope *"}, // s16: was FAIL INVALID_PARAMS (irctest's testGetNoReadMarker)
		{"MARKREAD nobody", "MARKREAD nobody *"},
		{"MARKREAD #nope timestamp=2000-01-01T00:00:00.000Z", "FAIL MARKREAD INVALID_PARAMS #nope"},
		{"MARKREAD #general *", "FAIL MARKREAD INVALID_PARAMS *"},
		{"MARKREAD #general yesterday", "FAIL MARKREAD INVALID_PARAMS yesterday"},
	} {
		a.send(tc.line, "PING :x")
		var lines []string
		for _, l := range a.until("PONG") {
			if l.Command != "PONG" {
				lines = append(lines, l.Command+" "+strings.Join(l.Params, " "))
			}
		}
		if len(lines) != 1 || !strings.HasPrefix(lines[0], tc.want) {
			t.Errorf("%s: %q, want %q", tc.line, lines, tc.want)
		}
	}
	// b was told once, of the one change.
	b.send("PING :y")
	var told []string
	for _, l := range b.until("PONG") {
		if l.Command == "MARKREAD" {
			told = append(told, l.Param(0)+" "+l.Param(1))
		}
	}
	if strings.Join(told, ", ") != "#general "+ts(msgs[0]) {
		t.Errorf("the other client was told %q", told)
	}
	// Never past now.
	a.send("MARKREAD bob timestamp=2100-01-01T00:00:00.000Z")
	l := a.until("MARKREAD")
	at, err := time.Parse(time.RFC3339Nano, strings.TrimPrefix(l[len(l)-1].Param(1), "timestamp="))
	if err != nil || at.After(time.Now()) {
		t.Errorf("a future read mark: %v (%v)", l[len(l)-1], err)
	}
	// What a marked as read is not played back (a never acknowledged).
	for _, c := range []*ircClient{a, b} {
		c.send("QUIT")
		c.closed()
	}
	if got := replayed(t, s); strings.Join(got, " ") != "m2" {
		t.Fatalf("played back %q after m1 was marked read, want m2", got)
	}
}
