package share

import (
	"testing"
)

// A sharing node that answers a read with more bytes than were asked
// (serveTampered ignores the asked length) is refused with an error: the
// client never slices by the length the remote claims.
func TestReadReplyLongerThanAskedIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := randBytes(t, 4<<10)
	serveTampered(e.srvHost, data, -1) // no byte flipped
	c := e.client("alice")
	for _, tc := range []struct {
		name   string
		off    int64
		length int
	}{{"start", 0, 10}, {"middle", 100, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			p := make([]byte, tc.length)
			if n, err := c.ReadAt(e.ctx, "docs", "f.bin", p, tc.off); err == nil {
				t.Fatalf("ReadAt of %d bytes at %d: %d bytes, no error (the reply claimed %d)", tc.length, tc.off, n, int64(len(data))-tc.off)
			}
		})
	}
}
