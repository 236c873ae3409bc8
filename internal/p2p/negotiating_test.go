package p2p

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/testutil"
)

// A few members that open streams and never name a protocol cannot fill
// the node's transient scope (512 inbound streams, shared by all peers)
// and so stop another member's streams (records/2026-12-01-s16-bounds.md).
// Before, each could hold PeerStreamsInbound (256) such streams for the
// negotiation timeout (10 s), two of them all 512, and an honest
// member's new streams were refused. Here three open 200 each (a host
// opens 256 streams to one peer at most, so three make sure the 512 are
// reached on the old code). Now each holds at most
// NegotiatingStreamsPerPeer; the rest are reset at once with the
// resource-limit code, and the honest member's streams are served.
func TestNegotiatingStreamsPerPeer(t *testing.T) {
	const proto = "/peerhood/test/echo/1"
	const perHostile = 200
	srv := newTestHost(t, "/ip4/127.0.0.1/tcp/0")
	srv.Handle(proto, func(st network.Stream) {
		defer st.Close()
		var b [1]byte
		if _, err := io.ReadFull(st, b[:]); err == nil {
			_, _ = st.Write(b[:])
		}
	})
	hostile := []*Host{newTestHost(t, "/ip4/127.0.0.1/tcp/0"), newTestHost(t, "/ip4/127.0.0.1/tcp/0"), newTestHost(t, "/ip4/127.0.0.1/tcp/0")}
	honest := newTestHost(t, "/ip4/127.0.0.1/tcp/0")
	info := peer.AddrInfo{ID: srv.ID(), Addrs: srv.Host.Addrs()}
	for _, h := range append([]*Host{honest}, hostile...) {
		if err := h.Host.Connect(context.Background(), info); err != nil {
			t.Fatal(err)
		}
	}

	// Each hostile member opens perHostile bare streams (no multistream
	// header: the swarm's NewStream) and counts those the node refuses.
	var mu sync.Mutex
	refused := map[peer.ID]int{}
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	for _, h := range hostile {
		for range perHostile {
			st, err := h.Network().NewStream(context.Background(), srv.ID())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Reset() })
			wg.Add(1)
			go func() {
				defer wg.Done()
				var b [1]byte
				_, err := st.Read(b[:])
				var se *network.StreamError
				if errors.As(err, &se) && se.Remote && se.ErrorCode == network.StreamResourceLimitExceeded {
					mu.Lock()
					refused[h.ID()]++
					mu.Unlock()
				}
			}()
		}
	}
	want := perHostile - NegotiatingStreamsPerPeer
	testutil.Eventually(t, 5*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		for _, h := range hostile {
			if refused[h.ID()] != want {
				return fmt.Errorf("refused %v bare streams, want %d of each peer's %d", refused, want, perHostile)
			}
		}
		return nil
	})
	lim := srv.Network().ResourceManager().(*negotiationLimiter)
	var held int
	if err := lim.ViewTransient(func(s network.ResourceScope) error {
		held = s.Stat().NumStreamsInbound
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("node holds %d inbound streams in its transient scope", held)
	for _, h := range hostile {
		if n := lim.negotiating(h.ID()); n != NegotiatingStreamsPerPeer {
			t.Fatalf("%d of a hostile peer's streams counted in negotiation, want %d", n, NegotiatingStreamsPerPeer)
		}
	}
	if held > len(hostile)*NegotiatingStreamsPerPeer {
		t.Fatalf("%d inbound streams in the transient scope, want at most %d", held, len(hostile)*NegotiatingStreamsPerPeer)
	}

	// The honest member's streams, opened while the bare ones are held
	// (within the negotiation timeout), are served.
	var streams []network.Stream
	for i := range 32 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := honest.NewStream(ctx, srv.ID(), proto)
		cancel()
		if err != nil {
			t.Fatalf("honest stream %d: %v", i, err)
		}
		streams = append(streams, st)
		_ = st.SetDeadline(time.Now().Add(5 * time.Second))
		var b [1]byte
		if _, err := st.Write([]byte{7}); err != nil {
			t.Fatalf("honest stream %d: write: %v", i, err)
		}
		if _, err := io.ReadFull(st, b[:]); err != nil || b[0] != 7 {
			t.Fatalf("honest stream %d: read %v: %v", i, b, err)
		}
	}
	for _, st := range streams {
		_ = st.Close()
	}
	if held := lim.negotiating(honest.ID()); held != 0 {
		t.Fatalf("%d of the honest member's streams still counted in negotiation", held)
	}

	// Once the hostile streams end, nothing stays counted.
	for _, h := range hostile {
		_ = h.Close()
	}
	testutil.Eventually(t, 15*time.Second, func() error {
		for _, h := range hostile {
			if n := lim.negotiating(h.ID()); n != 0 {
				return fmt.Errorf("%d streams still counted in negotiation", n)
			}
		}
		return nil
	})
}
