package chat

import (
	"fmt"
	"testing"
	"time"
)

// The pop-up gate lets one pop-up per author through every popupEvery,
// and remembers at most gateKeys authors (so a flood of names cannot
// grow it).
func TestPopupGate(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var g popupGate
	for _, tc := range []struct {
		key  string
		at   time.Duration
		want bool
	}{
		{"alpha", 0, true},
		{"alpha", time.Second, false},
		{"bravo", time.Second, true},
		{"alpha", popupEvery, true},
		{"alpha", popupEvery + time.Millisecond, false},
	} {
		if got := g.allow(tc.key, t0.Add(tc.at)); got != tc.want {
			t.Errorf("%s at %v: %v, want %v", tc.key, tc.at, got, tc.want)
		}
	}
	for i := range 2 * gateKeys {
		g.allow(fmt.Sprint("n", i), t0.Add(10*time.Second))
	}
	if len(g.last) > gateKeys {
		t.Errorf("gate remembers %d authors (at most %d)", len(g.last), gateKeys)
	}
	if !g.allow("late", t0.Add(time.Minute)) {
		t.Error("a new author is refused once the old entries expired")
	}
}
