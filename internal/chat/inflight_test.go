package chat

import (
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// The in-flight set: what a sync asks for leaves out exactly the
// messages on their way; reach extends a head over consecutive ones
// only; a message is "the same" only by its ID.
func TestInflightRanges(t *testing.T) {
	a := peer.ID("author-a")
	k := logKey{"wg", "room"}
	mk := func(seq uint64, text string) *msg {
		return newMsg(body{V: version, Workgroup: "wg", Room: "room", Author: []byte(a), Seq: seq, Kind: KindText, Text: text}, []byte(text))
	}
	var f inflight
	for _, seq := range []uint64{3, 4, 7, 10} {
		if !f.add(mk(seq, "x")) {
			t.Fatalf("add %d refused", seq)
		}
	}
	if f.add(mk(4, "y")) {
		t.Fatal("a second message took seq 4's place")
	}
	if !f.has(mk(4, "x")) || f.has(mk(4, "y")) || f.has(mk(5, "x")) {
		t.Fatal("has: want only the same message (ID) in flight")
	}
	cases := []struct {
		name     string
		from, to uint64
		held     []uint64
		want     [][2]uint64
		skipped  int
	}{
		{"around", 1, 12, nil, [][2]uint64{{1, 2}, {5, 6}, {8, 9}, {11, 12}}, 4},
		{"inside gap", 5, 6, nil, [][2]uint64{{5, 6}}, 0},
		{"starts in flight", 3, 5, nil, [][2]uint64{{5, 5}}, 2},
		{"all in flight", 10, 10, nil, nil, 1},
		{"ends in flight", 8, 10, nil, [][2]uint64{{8, 9}}, 1},
		{"held too", 1, 12, []uint64{12, 6, 7, 20}, [][2]uint64{{1, 2}, {5, 5}, {8, 9}, {11, 11}}, 6},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs, n := f.missing(k, a, c.from, c.to, c.held)
			var got [][2]uint64
			for _, r := range rs {
				got = append(got, [2]uint64{r.From, r.To})
			}
			if !slices.Equal(got, c.want) || n != c.skipped {
				t.Fatalf("missing(%d, %d) = %v (%d left out), want %v (%d)", c.from, c.to, got, n, c.want, c.skipped)
			}
		})
	}
	for head, want := range map[uint64]uint64{0: 0, 2: 4, 4: 4, 6: 7, 9: 10} {
		if got := f.reach(k, a, head); got != want {
			t.Fatalf("reach(%d) = %d, want %d", head, got, want)
		}
	}
	f.remove(mk(4, "y")) // not the one in flight: kept
	if !f.has(mk(4, "x")) {
		t.Fatal("remove of another message at seq 4 removed the one in flight")
	}
	for _, seq := range []uint64{3, 4, 7, 10} {
		f.remove(mk(seq, "x"))
	}
	for _, seqs := range f.by {
		if len(seqs) != 0 {
			t.Fatalf("left after removing all: %v", f.by)
		}
	}
}

// The held wait follows gossip's lag: heldGrace while gossip is prompt,
// twice the lag under load, at most maxHeldGrace; a clock ahead or far
// behind moves it within those bounds only.
func TestHeldGraceFollowsLag(t *testing.T) {
	for _, c := range []struct{ lag, want time.Duration }{
		{0, heldGrace}, {20 * time.Millisecond, heldGrace}, {400 * time.Millisecond, 800 * time.Millisecond},
		{time.Second, 2 * time.Second}, {time.Hour, maxHeldGrace},
	} {
		if got := graceFor(c.lag); got != c.want {
			t.Errorf("graceFor(%v) = %v, want %v", c.lag, got, c.want)
		}
	}
	var l gossipLag
	now := time.Now()
	for range 64 { // messages a second old, steadily
		l.note(now, physical(now.Add(-time.Second)))
	}
	if g := l.grace(); g < 1900*time.Millisecond || g > 2*time.Second+2*time.Millisecond { // the clock counts whole ms
		t.Fatalf("grace after a steady 1 s lag: %v", g)
	}
	for range 64 { // an author's clock a minute ahead: no lag
		l.note(now, physical(now.Add(time.Minute)))
	}
	if g := l.grace(); g != heldGrace {
		t.Fatalf("grace after messages from the future: %v", g)
	}
}
