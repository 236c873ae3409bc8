package spool

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// TestNoRequestServedAfterClose: libp2p runs a stream handler on a
// goroutine of its own, outside the service's; RemoveStreamHandler stops
// new streams only, and a member may send more requests on a stream it
// opened before (deliver and mailbox serve requests until the stream
// ends). Once Close returned, no request is answered on such a stream
// (the old code went on answering, reading and writing the database,
// until the host closed): Close resets the handlers' streams and waits
// for them (records/2026-12-01-s14-goaudit.md).
func TestNoRequestServedAfterClose(t *testing.T) {
	cases := []struct {
		proto protocol.ID
		req   any // a request the handler answers, then serves the next
		rep   any
	}{
		{p2p.ProtoDeliver, &deliverReq{Op: opReceipt, Receipt: []byte("not a receipt")}, &deliverReply{}},
		{p2p.ProtoMailbox, &mailboxReq{Op: opList}, &mailboxReply{}}, // a database read
	}
	for _, c := range cases {
		t.Run(string(c.proto), func(t *testing.T) {
			alice, bob := connectedPair(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			st, err := bob.host.NewStream(ctx, alice.id.PeerID, c.proto)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Reset()
			r := wire.NewReader(st, maxControlFrame)
			ask := func() error {
				if err := wire.WriteFrame(st, c.req); err != nil {
					return err
				}
				return r.ReadFrame(c.rep)
			}
			if err := ask(); err != nil {
				t.Fatalf("before Close: %v", err)
			}
			if err := alice.svc.Close(); err != nil {
				t.Fatal(err)
			}
			if err := ask(); err == nil {
				t.Fatal("a request on a stream opened before Close was answered after Close returned")
			}
		})
	}
}
