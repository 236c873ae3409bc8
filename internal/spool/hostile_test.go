package spool

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/wire"
)

// attacker is a member turned hostile: a bare libp2p host (no resource
// limits of its own, no spool service) holding member n's key,
// connected to victim.
func attacker(t *testing.T, n *tnode, victim *tnode) host.Host {
	t.Helper()
	h, err := libp2p.New(libp2p.Identity(n.id.Key), libp2p.NoListenAddrs, libp2p.DisableRelay(),
		libp2p.DisableMetrics(), libp2p.ResourceManager(&network.NullResourceManager{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Connect(ctx, peer.AddrInfo{ID: victim.host.ID(), Addrs: victim.host.Host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	return h
}

// servedStreams is how many streams the node serves to peer p (inbound,
// open, every protocol).
func servedStreams(n *tnode, p peer.ID) int {
	var in int
	_ = n.host.Network().ResourceManager().ViewPeer(p, func(s network.PeerScope) error {
		in = s.Stat().NumStreamsInbound
		return nil
	})
	return in
}

// waitServed waits until the node serves want streams to p.
func waitServed(t *testing.T, n *tnode, p peer.ID, want int, within time.Duration) {
	t.Helper()
	testutil.Eventually(t, within, func() error {
		if got := servedStreams(n, p); got != want {
			return fmt.Errorf("%s serves %d streams to %s, want %d", n.name, got, p, want)
		}
		return nil
	})
}

// A member cannot hold a deliver or mailbox handler of this node for
// longer than its idle timeout (1 s here), whatever it does on the
// stream: asking for a message it never reads (the handler's write
// blocks on a full window) or trickling a request frame a byte at a
// time (each byte used to push the read deadline on). Before servedStream
// both streams stayed served until the connection ended.
func TestServedStreamBounds(t *testing.T) {
	t.Parallel()
	const idle = time.Second
	start := func(t *testing.T) (alice, mbox, bob *tnode) {
		alice, mbox, bob = newTNode(t, "alice"), newTNode(t, "mbox", "mailbox"), newTNode(t, "bob")
		group(alice, mbox, bob)
		mbox.mutate = func(c *Config) { c.serveIdle = idle }
		alice.start()
		mbox.start()
		connect(t, alice, mbox)
		return alice, mbox, bob
	}
	t.Run("reply never read", func(t *testing.T) {
		t.Parallel()
		alice, mbox, bob := start(t)
		// A 2 MiB copy for bob, who is away, waits on the mailbox.
		big := make([]byte, 2<<20)
		rand.Read(big)
		js, err := alice.svc.Send(context.Background(), SendRequest{To: []string{"bob"}, Kind: KindFile,
			Paths: []string{writeFile(t, t.TempDir(), "big.bin", big)}})
		if err != nil {
			t.Fatal(err)
		}
		waitState(t, alice, js[0].ID, StateDeposited)

		// bob, hostile, lists it, asks for it, and never reads it.
		h := attacker(t, bob, mbox)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		st, err := h.NewStream(ctx, mbox.host.ID(), p2p.ProtoMailbox)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Reset()
		list, err := ask[mailboxReply](st, wire.NewReader(st, maxListFrame), &mailboxReq{Op: opList})
		if err != nil || len(list.Items) == 0 {
			t.Fatalf("list: %d items, %v", len(list.Items), err)
		}
		it := list.Items[0]
		if it.Size < 1<<20 {
			t.Fatalf("listed %d bytes, want the 2 MiB copy", it.Size)
		}
		if err := wire.WriteFrame(st, &mailboxReq{Op: opGet, ID: it.ID, Sender: it.Sender}); err != nil {
			t.Fatal(err)
		}
		waitServed(t, mbox, h.ID(), 1, 10*time.Second)
		// The handler's write gives up after idle; allow for a busy machine.
		t0 := time.Now()
		waitServed(t, mbox, h.ID(), 0, 10*idle)
		t.Logf("the handler let go %v after the stream was served", time.Since(t0).Round(10*time.Millisecond))
	})
	t.Run("request trickled", func(t *testing.T) {
		t.Parallel()
		_, mbox, bob := start(t)
		h := attacker(t, bob, mbox)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		st, err := h.NewStream(ctx, mbox.host.ID(), p2p.ProtoDeliver)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Reset()
		// A frame of 1,000 bytes, sent a byte every idle/4: never idle.
		if _, err := st.Write(binary.AppendUvarint(nil, 1000)); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		defer close(done)
		go func() {
			tick := time.NewTicker(idle / 4)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
				}
				if _, err := st.Write([]byte{0xa0}); err != nil {
					return
				}
			}
		}()
		waitServed(t, mbox, h.ID(), 1, 10*time.Second)
		// The whole frame had frameWait (2 idle) to come.
		t0 := time.Now()
		waitServed(t, mbox, h.ID(), 0, 10*idle)
		t.Logf("the handler let go %v after the stream was served", time.Since(t0).Round(10*time.Millisecond))
	})
}

// heapAfterGC is the live heap of the test process.
func heapAfterGC() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// A member that opens 40 deliver and 40 mailbox streams, each announcing
// a request frame of the largest size (4 MiB) and sending nothing more,
// makes this node allocate two such frames per protocol at most: each
// is reserved in the stream's resource scope before it is allocated,
// and the rest are refused (ErrNoMemory). Before, every stream served
// allocated its 4 MiB: 256 MiB and more, held until the connection
// ended. Meanwhile another member's mail is delivered.
func TestHugeFrameHeadersReserved(t *testing.T) {
	alice, bob, mallory := newTNode(t, "alice"), newTNode(t, "bob"), newTNode(t, "mallory")
	group(alice, bob, mallory)
	alice.start()
	bob.start()
	connect(t, alice, bob)
	h := attacker(t, mallory, bob)

	base := heapAfterGC()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opened := 0
	for _, proto := range []protocol.ID{p2p.ProtoDeliver, p2p.ProtoMailbox} {
		for range 40 {
			st, err := h.NewStream(ctx, bob.host.ID(), proto)
			if err != nil {
				continue // over the protocol's stream limit
			}
			t.Cleanup(func() { st.Reset() })
			if _, err := st.Write(binary.AppendUvarint(nil, maxControlFrame)); err == nil {
				opened++
			}
		}
	}
	t.Logf("%d streams announce %d MiB each", opened, maxControlFrame>>20)
	if opened < p2p.ProtoLimits[p2p.ProtoDeliver].In {
		t.Fatalf("only %d streams opened: the attack did not take place", opened)
	}

	// alice's mail reaches bob while the streams are held.
	js, err := alice.svc.Send(context.Background(), SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, js[0].ID, StateDelivered)

	// Each stream's header was read within milliseconds; sample the live
	// heap for a while after that.
	var peak uint64
	for range 8 {
		peak = max(peak, heapAfterGC())
		time.Sleep(250 * time.Millisecond)
	}
	grew := int64(peak) - int64(base)
	t.Logf("live heap %d MiB before, peak %d MiB (%+d MiB)", base>>20, peak>>20, grew>>20)
	if grew > 64<<20 {
		t.Fatalf("the live heap grew by %d MiB, limit 64 MiB", grew>>20)
	}
	if err := ctx.Err(); err != nil {
		t.Fatal(errors.New("the attack ran out of time"))
	}
}
