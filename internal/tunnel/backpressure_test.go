package tunnel

import (
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

// A target that reads nothing holds the client back end to end: the
// client's writes stall once the buffers on the way are full (socket
// buffers, one copy buffer per direction, the stream's flow-control
// window), far below what it tries to send; when the target starts
// reading, every byte written arrives.
func TestBackpressure(t *testing.T) {
	const limit = 256 << 20 // a tunnel that buffered without bound would take it all
	alpha, bravo := newNode(t, "alpha"), newNode(t, "bravo")
	link(alpha, bravo)
	release := make(chan struct{})
	var got atomic.Int64
	tg := newTarget(t, func(c *net.TCPConn) {
		defer c.Close()
		<-release
		n, _ := io.Copy(io.Discard, c)
		got.Store(n)
	})
	alpha.offer(t, "sink", tg.addr(), "bravo")
	f, err := bravo.forward(t, "alpha", "sink")
	if err != nil {
		t.Fatal(err)
	}
	c := dialLocal(t, f.Local)
	chunk := make([]byte, 256<<10)
	var sent int64
	for {
		_ = c.SetWriteDeadline(time.Now().Add(time.Second)) // a stall detector, not a speed check
		n, err := c.Write(chunk)
		sent += int64(n)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if sent > limit {
			close(release)
			t.Fatalf("wrote %d MiB into a target that reads nothing: no backpressure", sent>>20)
		}
	}
	t.Logf("writes stalled after %.1f MiB in flight", float64(sent)/(1<<20))
	close(release)
	_ = c.SetWriteDeadline(time.Time{})
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, func() error {
		if n := got.Load(); n != sent {
			return errors.New("the target has not read everything yet")
		}
		return nil
	})
}
