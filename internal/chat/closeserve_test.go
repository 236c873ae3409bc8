package chat

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// TestNoRequestServedAfterClose: libp2p runs a stream handler on a
// goroutine of its own, outside the service's WaitGroup, and
// RemoveStreamHandler stops new streams only. On a history stream
// (several requests) or a direct-message stream (one, read when it
// comes) opened before Close, a request sent after Close returned is not
// answered (the old code answered it, with the service's statements
// closed, until the host closed): the handlers count themselves (add),
// Close resets their streams and waits for them.
func TestNoRequestServedAfterClose(t *testing.T) {
	cases := []struct {
		proto  protocol.ID
		before bool // a request answered before Close (the stream serves several)
		req    any
		rep    any
	}{
		{p2p.ProtoHistory, true, &histReq{Op: opHeads, Workgroup: closeWG}, &histReply{}},
		{p2p.ProtoDM, false, &dmReq{}, &dmReply{}},
	}
	for _, c := range cases {
		t.Run(string(c.proto), func(t *testing.T) {
			s, b := closePair(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			// Without the protocol in the peerstore NewStream negotiates it
			// before it returns (not lazily, at the first write): the
			// service has the stream before Close.
			if err := b.Peerstore().RemoveProtocols(s.self, c.proto); err != nil {
				t.Fatal(err)
			}
			st, err := b.NewStream(ctx, s.self, c.proto)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Reset()
			_ = st.SetDeadline(time.Now().Add(10 * time.Second))
			r := wire.NewReader(st, maxHistFrame)
			ask := func() error {
				if err := wire.WriteFrame(st, c.req); err != nil {
					return err
				}
				return r.ReadFrame(c.rep)
			}
			if c.before {
				if err := ask(); err != nil {
					t.Fatalf("before Close: %v", err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := ask(); err == nil {
				t.Fatal("a request on a stream opened before Close was answered after Close returned")
			}
		})
	}
}
