package chat

import (
	"testing"
)

// clampSeq maps what a range may ask to SQLite's integers.
func TestClampSeq(t *testing.T) {
	for _, x := range []struct {
		in   uint64
		want int64
	}{{0, 0}, {1, 1}, {1<<63 - 1, 1<<63 - 1}, {1 << 63, 1<<63 - 1}, {1<<64 - 1, 1<<63 - 1}} {
		if got := clampSeq(x.in); got != x.want {
			t.Errorf("clampSeq(%d) = %d, want %d", x.in, got, x.want)
		}
	}
}
