package p2p

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// The gossip routers never dial. Here a's gate lets b in and a cuts the
// connection as soon as it is up (as the workgroup gate does to a
// stranger whose probation ended): gossipsub, told of the connection,
// then opens its stream to b over none. Dialling for it made an outbound
// connection, which a gate allows (this node dialled), so the stranger
// stayed connected.
func TestGossipDoesNotRedialACutPeer(t *testing.T) {
	t.Parallel()
	a, b := newTestHost(t, "/ip4/127.0.0.1/tcp/0"), newTestHost(t, "/ip4/127.0.0.1/tcp/0")
	for _, h := range []*Host{a, b} {
		if _, err := h.PubSub(); err != nil {
			t.Fatal(err)
		}
		if _, err := h.ChatPubSub(); err != nil {
			t.Fatal(err)
		}
	}
	a.Network().Notify(&network.NotifyBundle{ConnectedF: func(_ network.Network, c network.Conn) {
		if c.RemotePeer() == b.ID() && c.Stat().Direction == network.DirInbound {
			_ = c.Close()
		}
	}})
	a.Peerstore().AddAddrs(b.ID(), b.Host.Addrs(), time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 5 {
		_ = b.Host.Connect(ctx, peer.AddrInfo{ID: a.ID(), Addrs: a.Host.Addrs()})
		deadline := time.Now().Add(500 * time.Millisecond)
		for time.Now().Before(deadline) {
			for _, c := range a.Network().ConnsToPeer(b.ID()) {
				if c.Stat().Direction == network.DirOutbound {
					t.Fatal("a dialled b for gossip after cutting it")
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		_ = b.Network().ClosePeer(a.ID())
	}
}

// After ResetGossip a router reopens its stream to the peer after a
// backoff; should the peer be cut meanwhile, it must not dial it again.
func TestGossipReopenDoesNotRedial(t *testing.T) {
	t.Parallel()
	a, b := newTestHost(t, "/ip4/127.0.0.1/tcp/0"), newTestHost(t, "/ip4/127.0.0.1/tcp/0")
	for _, h := range []*Host{a, b} {
		if _, err := h.PubSub(); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 3 {
		if err := b.Host.Connect(ctx, peer.AddrInfo{ID: a.ID(), Addrs: a.Host.Addrs()}); err != nil {
			t.Fatal(err)
		}
		// Wait for a's gossip stream to b, reset it, let the router see
		// it dead while b is still connected, then cut b.
		deadline := time.Now().Add(5 * time.Second)
		for !hasGossipStream(a, b.ID()) {
			if time.Now().After(deadline) {
				t.Fatal("no gossip stream from a to b")
			}
			time.Sleep(10 * time.Millisecond)
		}
		a.ResetGossip(b.ID())
		time.Sleep(20 * time.Millisecond)
		_ = a.Network().ClosePeer(b.ID())
		deadline = time.Now().Add(1500 * time.Millisecond)
		for time.Now().Before(deadline) {
			for _, c := range a.Network().ConnsToPeer(b.ID()) {
				if c.Stat().Direction == network.DirOutbound {
					t.Fatal("a dialled b to reopen gossip after cutting it")
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func hasGossipStream(h *Host, p peer.ID) bool {
	for _, c := range h.Network().ConnsToPeer(p) {
		for _, st := range c.GetStreams() {
			if st.Stat().Direction == network.DirOutbound && isGossipProtocol(string(st.Protocol())) {
				return true
			}
		}
	}
	return false
}
