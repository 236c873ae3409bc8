package workgroup

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// TestNoRequestServedAfterClose: libp2p runs a stream handler on a
// goroutine of its own, and RemoveStreamHandler stops new streams only.
// On a roster or hello stream a member opened before Close, a request
// sent after Close returned is not answered (the old code answered it
// from the roster, outside the WaitGroup, until the host closed): the
// handlers count themselves (serveCounted) and Close resets their
// streams. (join's handler keeps its own guard: its admission runs under
// enter, which Close waits out, and its reply must reach the joiner.)
func TestNoRequestServedAfterClose(t *testing.T) {
	cases := []struct {
		proto protocol.ID
		req   func(wg string) any
		rep   any
	}{
		{p2p.ProtoRoster, func(wg string) any { return SyncHello{Workgroup: wg} }, &SyncReply{}},
		{p2p.ProtoHello, func(wg string) any { return HelloAsk{Workgroups: []string{wg}} }, &HelloReply{}},
	}
	for _, c := range cases {
		t.Run(string(c.proto), func(t *testing.T) {
			alpha, bravo := newTNodeEvery(t, "alpha", time.Hour), newTNodeEvery(t, "bravo", time.Hour)
			wg := mustCreate(t, alpha, "office")
			mustJoin(t, bravo, mustInvite(t, alpha, InviteOptions{}), "")
			if err := bravo.dial(alpha); err != nil {
				t.Fatal(err)
			}
			// Without the protocol in the peerstore NewStream negotiates it
			// before it returns (not at the first write): the service has
			// the stream before Close.
			if err := bravo.host.Peerstore().RemoveProtocols(alpha.host.ID(), c.proto); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			st, err := bravo.host.NewStream(ctx, alpha.host.ID(), c.proto)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Reset()
			_ = st.SetDeadline(time.Now().Add(10 * time.Second))
			if err := alpha.svc.Close(); err != nil {
				t.Fatal(err)
			}
			_ = wire.WriteFrame(st, c.req(wg.ID)) // sent after Close returned
			if err := wire.NewReader(st, maxRosterFrame).ReadFrame(c.rep); err == nil {
				t.Fatal("a request on a stream opened before Close was answered after Close returned")
			}
		})
	}
}
