package chat

import (
	"testing"
	"time"
)

// The writer's window follows the intake's rate: none while messages are
// rare (a lone message is stored at once), maxWriteWindow under load,
// shorter once that window would gather more than batchTarget; and back
// to none as soon as the load stops. Simulated arrivals at a steady rate,
// batches as the writer makes them (a batch takes what arrives within its
// window), commits taking no time.
func TestWritePace(t *testing.T) {
	for _, tc := range []struct {
		rate int // messages per second
		want time.Duration
	}{
		{5, 0},
		{50, 0},
		{250, maxWriteWindow},
		{500, maxWriteWindow},
		{2000, 8 * time.Millisecond}, // batchTarget at 2000/s
	} {
		var p writePace
		gap := time.Second / time.Duration(tc.rate)
		t0 := time.Unix(1000, 0)
		next := 0 // index of the next message to arrive
		var w time.Duration
		var sizes []int
		for range 200 {
			start := t0.Add(time.Duration(next) * gap) // the writer wakes for the next message
			w = p.begin(start)
			n := 1 + int(w/gap) // it and those within the window
			p.end(n)
			sizes = append(sizes, n)
			next += n
		}
		if d := w - tc.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("%d msg/s: window %v, want %v (batches %v)", tc.rate, w, tc.want, sizes[len(sizes)-5:])
		}
		// The load stops: the next message, a second later, is stored at once.
		if w := p.begin(t0.Add(time.Duration(next)*gap + time.Second)); w != 0 {
			t.Errorf("%d msg/s: window %v after a quiet second, want 0", tc.rate, w)
		}
	}
}

// PEERHOOD_CHAT_WINDOW sets the window's cap only when it is a duration
// from 1 to 50 ms; anything else leaves maxWriteWindow.
func TestWindowFromEnv(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want time.Duration
	}{
		{"", maxWriteWindow},
		{"20ms", 20 * time.Millisecond},
		{"1ms", time.Millisecond},
		{"50ms", 50 * time.Millisecond},
		{"51ms", maxWriteWindow},
		{"0", maxWriteWindow},
		{"-5ms", maxWriteWindow},
		{"1s", maxWriteWindow},
		{"fast", maxWriteWindow},
	} {
		if got := windowFromEnv(tc.v); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.v, got, tc.want)
		}
	}
}
