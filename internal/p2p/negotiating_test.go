package p2p

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/testutil"
)

// echoHost is a node serving ProtoTunnel (up to TunnelStreamsPerPeer
// streams per peer, as a forward) with an echo of one byte.
func echoHost(t *testing.T) *Host {
	srv := newTestHost(t, "/ip4/127.0.0.1/tcp/0")
	srv.Handle(ProtoTunnel, func(st network.Stream) {
		defer st.Close()
		var b [1]byte
		if _, err := io.ReadFull(st, b[:]); err == nil {
			_, _ = st.Write(b[:])
		}
	})
	return srv
}

func connectTo(t *testing.T, srv *Host, hs ...*Host) {
	t.Helper()
	info := peer.AddrInfo{ID: srv.ID(), Addrs: srv.Host.Addrs()}
	for _, h := range hs {
		if err := h.Host.Connect(context.Background(), info); err != nil {
			t.Fatal(err)
		}
	}
}

// echo opens a stream from h to srv and has one byte echoed on it; the
// deadline is a guard against a hang, not a measure.
func echo(h *Host, srv peer.ID, b byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := h.NewStream(ctx, srv, ProtoTunnel)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer st.Close()
	_ = st.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := st.Write([]byte{b}); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	var got [1]byte
	if _, err := io.ReadFull(st, got[:]); err != nil || got[0] != b {
		return fmt.Errorf("read %v: %w", got, err)
	}
	return nil
}

// transientInbound is how many inbound streams srv's resource manager
// holds in its transient scope (in protocol negotiation).
func transientInbound(t *testing.T, srv *Host) int {
	var n int
	if err := srv.Network().ResourceManager().ViewTransient(func(s network.ResourceScope) error {
		n = s.Stat().NumStreamsInbound
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// holdNegotiation has each hostile member keep PeerStreamsInbound bare
// streams to srv open (the swarm's NewStream: no multistream header),
// re-opening each one srv resets, until stop is called (or the test
// ends). resets counts the streams srv reset.
func holdNegotiation(t *testing.T, srv *Host, hostile []*Host) (resets *atomic.Int64, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	stop = func() { cancel(); wg.Wait() }
	t.Cleanup(stop)
	resets = new(atomic.Int64)
	for _, h := range hostile {
		for range PeerStreamsInbound {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					st, err := h.Network().NewStream(ctx, srv.ID())
					if err != nil {
						// At its own limit for a moment (a reset
						// stream not yet released): try again.
						select {
						case <-ctx.Done():
						case <-time.After(10 * time.Millisecond):
						}
						continue
					}
					stopped := context.AfterFunc(ctx, func() { _ = st.Reset() })
					// The node writes its multistream header; the
					// stream is held until it ends.
					_, err = io.Copy(io.Discard, st)
					stopped()
					var se *network.StreamError
					if errors.As(err, &se) && se.Remote {
						resets.Add(1)
					}
					_ = st.Reset()
				}
			}()
		}
	}
	return resets, stop
}

// Two members hold streams that never name a protocol, PeerStreamsInbound
// each (all the transient scope's TransientStreamsInbound), and re-open
// every one the node resets. Before, their streams stayed for the
// negotiation timeout (10 s) and every other peer's new stream was
// refused meanwhile, again after each timeout. Now the node resets the
// oldest of them to make room, so an honest member's streams are served
// at the first try, again and again while the hold goes on.
func TestNegotiationHold(t *testing.T) {
	srv := echoHost(t)
	hostile := []*Host{newTestHost(t, "/ip4/127.0.0.1/tcp/0"), newTestHost(t, "/ip4/127.0.0.1/tcp/0")}
	honest := newTestHost(t, "/ip4/127.0.0.1/tcp/0")
	connectTo(t, srv, append(hostile, honest)...)

	resets, _ := holdNegotiation(t, srv, hostile)
	// The hold is in place: the slots are nearly all taken (all of them
	// before; now the guard keeps NegotiationHeadroom free).
	full := TransientStreamsInbound - 2*NegotiationHeadroom
	testutil.Eventually(t, 20*time.Second, func() error {
		if n := transientInbound(t, srv); n < full {
			return fmt.Errorf("%d inbound streams in negotiation, waiting for %d", n, full)
		}
		return nil
	})

	// The honest member talks to the node, each time after the hostile
	// members have had another 64 of their streams reset and re-opened.
	for i := range 10 {
		if err := echo(honest, srv.ID(), byte(i)); err != nil {
			t.Fatalf("honest stream %d during the hold (%d hostile streams reset so far): %v", i, resets.Load(), err)
		}
		next := resets.Load() + 64
		testutil.Eventually(t, 20*time.Second, func() error {
			if n := resets.Load(); n < next {
				return fmt.Errorf("%d hostile streams reset, waiting for %d", n, next)
			}
			return nil
		})
	}
	t.Logf("%d hostile streams reset, %d in negotiation", resets.Load(), transientInbound(t, srv))
}

// An honest member's burst (hundreds of tunnel connections at once, each
// a stream, as TestConcurrentConnections in internal/tunnel) is served
// whole: its streams negotiate at once and the guard resets none of
// them. A cap of 64 streams per peer in negotiation (bec1864, reverted)
// reset some.
func TestNegotiationBurst(t *testing.T) {
	const n = 200
	srv := echoHost(t)
	member := newTestHost(t, "/ip4/127.0.0.1/tcp/0")
	connectTo(t, srv, member)
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
		go func() {
			<-start
			if err := echo(member, srv.ID(), byte(i)); err != nil {
				errs <- fmt.Errorf("stream %d: %w", i, err)
				return
			}
			errs <- nil
		}()
	}
	close(start)
	var failed []error
	for range n {
		if err := <-errs; err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		t.Fatalf("%d of %d streams of a burst failed, first: %v", len(failed), n, failed[0])
	}
}
