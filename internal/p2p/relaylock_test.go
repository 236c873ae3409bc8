package p2p

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// publicConn is a real connection that says it comes from a public
// address: on the loopback no connection does, and only such a one makes
// the relay service note an inbound connection (reachedFrom).
type publicConn struct{ network.Conn }

var publicAddr = ma.StringCast("/ip4/8.8.8.8/tcp/4001")

func (publicConn) RemoteMultiaddr() ma.Multiaddr { return publicAddr }

// TestRelayToggleWhileReached: the relay service turns on and off (AutoNAT
// says public, then private) while members keep connecting to the node
// from what looks like a public address. The swarm runs the Connected
// notifications (reachedFrom among them) holding its notifiee list's
// read lock; starting or stopping the relay registers or removes a
// notifiee, which takes that list's write lock. update did so holding
// the relay service's lock, which reachedFrom takes: a deadlock, after
// which the relay service never changed again and the swarm's pending
// writer held every later Connected notification, so the node took no
// new connection at all. (Run with the whole package, the burst of
// reachability events also caught the service's start: its loop, not
// reading its subscription yet, made the relay finder's emitter, which
// waits for the event bus lock an emitter held while it waited for that
// full subscription. The finder runs beside the loop now: relaysvc.go.)
func TestRelayToggleWhileReached(t *testing.T) {
	t.Parallel()
	quiet := slog.New(slog.DiscardHandler)
	host := func() *Host {
		k, _, err := crypto.GenerateEd25519Key(nil)
		if err != nil {
			t.Fatal(err)
		}
		h, err := New(Config{Key: k, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Log: quiet})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h := host()
	// As the host's own Connected notification does (host.go), with the
	// connection's remote address seen as public.
	h.Network().Notify(&network.NotifyBundle{ConnectedF: func(n network.Network, c network.Conn) {
		h.relaySvc.reachedFrom(publicConn{c}, len(n.ConnsToPeer(c.RemotePeer()))-1)
	}})
	em, err := h.EventBus().Emitter(new(event.EvtLocalReachabilityChanged))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var toggles, connects atomic.Int64
	wg.Add(1)
	go func() { // AutoNAT changes its mind, again and again
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			r := network.ReachabilityPublic
			if i%2 == 1 {
				r = network.ReachabilityPrivate
			}
			_ = em.Emit(event.EvtLocalReachabilityChanged{Reachability: r})
			toggles.Add(1)
		}
	}()
	target := peer.AddrInfo{ID: h.ID(), Addrs: h.Network().ListenAddresses()}
	var dialers []*Host
	for range 3 {
		d := host()
		dialers = append(dialers, d)
		wg.Add(1)
		go func() { // a member connects, and goes
			defer wg.Done()
			for ctx.Err() == nil {
				cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
				if d.Host.Connect(cctx, target) == nil {
					connects.Add(1)
				}
				ccancel()
				_ = d.Network().ClosePeer(h.ID())
			}
		}()
	}
	for round := range 5 {
		t0, c0 := toggles.Load(), connects.Load()
		deadline := time.Now().Add(20 * time.Second)
		for toggles.Load() < t0+50 || connects.Load() < c0+50 {
			if time.Now().After(deadline) {
				// Deadlocked, the hosts' Close would hang too: stop here.
				panic(fmt.Sprintf("round %d: no progress in 20 s (relay toggles %d, connections %d): the relay service and the swarm's notifications deadlocked",
					round, toggles.Load()-t0, connects.Load()-c0))
			}
			time.Sleep(time.Millisecond)
		}
	}
	cancel()
	wg.Wait()
	_ = em.Close()
	for _, d := range dialers {
		_ = d.Close()
	}
	_ = h.Close()
}
