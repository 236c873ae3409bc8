package p2p

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// A peer writing to a stream the node never reads gets at most 256 KiB
// into the node: go-yamux reserves 256 KiB with the resource manager
// when a stream opens but grants the configured InitialStreamWindowSize
// at once, unreserved, so an initial window above 256 KiB would let a
// peer pin memory the resource manager never sees (224 tunnel streams x
// 16 MiB = 3.5 GiB, against PeerMemory's 64 MiB). Growth beyond 256 KiB
// happens only for a stream that is read, and is reserved first.
func TestUnreadStreamHoldsAtMostReservedWindow(t *testing.T) {
	const reserved = 256 << 10 // go-yamux's initialStreamWindow
	srv := newTestHost(t, "/ip4/127.0.0.1/tcp/0")
	cli := newTestHost(t, "/ip4/127.0.0.1/tcp/0")
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv.Handle(ProtoTunnel, func(st network.Stream) { // never reads
		defer st.Reset()
		<-release
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cli.Host.Connect(ctx, peer.AddrInfo{ID: srv.ID(), Addrs: srv.Host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	st, err := cli.NewStream(ctx, srv.ID(), ProtoTunnel)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Reset()
	// Write until a write stalls: each 16 KiB chunk gets 2 s, far more
	// than loopback needs while the window is open; a closed window
	// never reopens because nothing reads.
	chunk := make([]byte, 16<<10)
	written := 0
	for written < 32<<20 {
		_ = st.SetWriteDeadline(time.Now().Add(2 * time.Second))
		n, err := st.Write(chunk)
		written += n
		if errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err) {
			break
		}
		if err != nil {
			t.Fatalf("write after %d bytes: %v", written, err)
		}
	}
	var counted int64
	_ = srv.Network().ResourceManager().ViewPeer(cli.ID(), func(s network.PeerScope) error {
		counted = s.Stat().Memory
		return nil
	})
	t.Logf("%d bytes accepted before the unread stream's window closed; the node's resource manager counts %d for the peer", written, counted)
	if int64(written) > counted {
		t.Fatalf("the node holds %d unread bytes from the peer but its resource manager counts only %d", written, counted)
	}
	if written > reserved {
		t.Fatalf("an unread stream took %d bytes, more than the %d go-yamux reserves per stream", written, reserved)
	}
	if written < reserved/2 {
		t.Fatalf("an unread stream took only %d bytes: the window is smaller than expected (%d)", written, reserved)
	}
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}
