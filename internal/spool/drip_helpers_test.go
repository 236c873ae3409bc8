package spool

import (
	"bytes"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// dripMailbox makes evil (its host started here) a mailbox that answers
// a request of op with a 64 KiB reply frame sent a byte every 100 ms (it
// never ends within a test) and resets every other stream. asked gets
// the time each such request came, cut the time its stream failed.
// Register it before the node it fools stops (cleanups run last first).
func dripMailbox(t *testing.T, evil *tnode, op string, maxReq int) (asked, cut chan time.Time) {
	t.Helper()
	var frame bytes.Buffer
	if err := wire.WriteFrame(&frame, &mailboxReply{Items: []mailboxItem{{Item: itemMessage, ID: "x", Blob: make([]byte, 64<<10)}}}); err != nil {
		t.Fatal(err)
	}
	asked, cut = make(chan time.Time, 8), make(chan time.Time, 8)
	done := make(chan struct{})
	evil.startHost()
	t.Cleanup(func() { close(done) })
	evil.host.SetStreamHandler(p2p.ProtoMailbox, func(st network.Stream) {
		defer st.Reset()
		var req mailboxReq
		if wire.NewReader(st, maxReq).ReadFrame(&req) != nil || req.Op != op {
			return
		}
		asked <- time.Now()
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for _, b := range frame.Bytes() {
			select {
			case <-done:
				return
			case <-tk.C:
			}
			if _, err := st.Write([]byte{b}); err != nil {
				cut <- time.Now()
				return
			}
		}
	})
	return asked, cut
}
