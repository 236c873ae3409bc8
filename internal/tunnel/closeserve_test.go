package tunnel

import (
	"context"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// TestNoRequestServedAfterClose: libp2p runs a tunnel handler on a
// goroutine of its own, and RemoveStreamHandler stops new streams only.
// Only the tunnel itself (carry) was counted; on a stream opened before
// Close, a request sent after Close returned was still read, looked up
// in the database and answered (a list), or its target dialled. Now the
// handler counts itself from its first byte and Close resets its
// stream: no answer.
func TestNoRequestServedAfterClose(t *testing.T) {
	a, b := newNode(t, "alpha"), newNode(t, "bravo")
	link(a, b)
	tg := newTarget(t, echo)
	a.offer(t, "echo", tg.addr())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.h.Host.Connect(ctx, a.h.Peerstore().PeerInfo(a.h.ID())); err != nil {
		t.Fatal(err)
	}
	// Without the protocol in the peerstore NewStream negotiates it
	// before it returns (not at the first write): the service has the
	// stream before Close.
	if err := b.h.Peerstore().RemoveProtocols(a.h.ID(), p2p.ProtoTunnel); err != nil {
		t.Fatal(err)
	}
	st, err := b.h.NewStream(ctx, a.h.ID(), p2p.ProtoTunnel)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Reset()
	_ = st.SetDeadline(time.Now().Add(10 * time.Second))
	if err := a.svc.Close(); err != nil {
		t.Fatal(err)
	}
	_ = wire.WriteFrame(st, Request{Workgroup: testWG, List: true}) // sent after Close returned
	var rep Reply
	if err := wire.NewReader(st, maxFrame).ReadFrame(&rep); err == nil {
		t.Fatalf("a request on a stream opened before Close was answered after Close returned: %+v", rep)
	}
}
