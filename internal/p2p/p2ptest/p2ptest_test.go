package p2ptest

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Two test hosts connect over loopback, and a host closed by the test
// survives the second Close of the cleanup.
func TestNewConnects(t *testing.T) {
	t.Parallel()
	a, b := New(t, nil), New(t, Key(t))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Host.Connect(ctx, peer.AddrInfo{ID: b.ID(), Addrs: b.Host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}
