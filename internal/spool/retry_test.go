package spool

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/p2p"
)

// A mailbox that accepts the connection but does not serve (here: it
// resets every mailbox stream and closes the connection, as a gate that
// no longer admits this node does) is asked again only after a growing
// backoff: the fetch timer and the reconnections do not hammer it.
// Without the backoff alice asked ~100 times a second (each fetch
// dialled, each new connection asked for a fetch).
func TestFetchBacksOffFromMailboxThatDoesNotServe(t *testing.T) {
	t.Parallel()
	alice, mbox, _ := withMailbox(t)
	var asked atomic.Int64
	mbox.host.SetStreamHandler(p2p.ProtoMailbox, func(st network.Stream) {
		asked.Add(1)
		_ = st.Reset()
		_ = st.Conn().Close()
	})
	connect(t, alice, mbox)
	time.Sleep(500 * time.Millisecond) // the first failures
	before := asked.Load()
	time.Sleep(3 * time.Second)
	n := asked.Load() - before
	t.Logf("mailbox asked %d times in 3 s", n)
	// Backoff 100 ms doubling to 2 s: about 4 asks in the window; the
	// 300 ms fetch timer alone would make 10.
	if n > 7 {
		t.Fatalf("alice asked the mailbox %d times in 3 s: no backoff", n)
	}
	if n == 0 {
		t.Fatal("alice never asked the mailbox again")
	}
}
