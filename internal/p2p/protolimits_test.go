package p2p

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// openHeld opens n streams of proto from h to srv, each answered by a
// handler that replies one byte and then holds the stream open, and
// returns how many the node served (the others were reset).
func openHeld(t *testing.T, from *Host, srv peer.ID, proto protocol.ID, n int) int {
	t.Helper()
	served := 0
	for range n {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		st, err := from.NewStream(ctx, srv, proto)
		cancel()
		if err != nil {
			continue
		}
		t.Cleanup(func() { st.Reset() })
		_ = st.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := st.Write([]byte{1}); err != nil {
			continue
		}
		var b [1]byte
		if _, err := io.ReadFull(st, b[:]); err == nil {
			served++
		}
	}
	return served
}

// One peer gets at most ProtoLimits[p].In streams of protocol p served
// at once, however many it opens; another peer is not held back by it.
func TestPerPeerProtocolStreamLimits(t *testing.T) {
	srv := newTestHost(t, "/ip4/127.0.0.1/tcp/0")
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	hold := func(st network.Stream) {
		defer st.Reset()
		var b [1]byte
		if _, err := io.ReadFull(st, b[:]); err != nil {
			return
		}
		if _, err := st.Write([]byte{2}); err != nil {
			return
		}
		<-release
	}
	tests := []struct {
		proto protocol.ID
		open  int
	}{
		{ProtoRoster, 10},
		{ProtoJoin, 5},
		{ProtoHello, 10},
		{ProtoFiles, 100},
		{ProtoDeliver, 40},
		{ProtoMailbox, 40},
	}
	for _, tc := range tests {
		srv.Handle(tc.proto, hold)
	}
	hostile, honest := newTestHost(t, "/ip4/127.0.0.1/tcp/0"), newTestHost(t, "/ip4/127.0.0.1/tcp/0")
	info := peer.AddrInfo{ID: srv.ID(), Addrs: srv.Host.Addrs()}
	for _, h := range []*Host{hostile, honest} {
		if err := h.Host.Connect(context.Background(), info); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range tests {
		t.Run(string(tc.proto), func(t *testing.T) {
			want := ProtoLimits[tc.proto].In
			if got := openHeld(t, hostile, srv.ID(), tc.proto, tc.open); got != want {
				t.Fatalf("hostile peer: %d of %d streams served, want %d", got, tc.open, want)
			}
			if got := openHeld(t, honest, srv.ID(), tc.proto, 1); got != 1 {
				t.Fatalf("another peer's stream refused while the hostile one holds its %d", want)
			}
		})
	}
}
