package p2p

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
	msmux "github.com/multiformats/go-multistream"
	"github.com/quic-go/quic-go"
)

// The watcher's decision, tick by tick (1 s ticks; defaultLinkParams:
// probes after 1 s unanswered, then every 2 s; dead after 5 s with 2
// probes unanswered).
func TestLinkStep(t *testing.T) {
	t.Parallel()
	const ms = time.Millisecond
	type tick struct {
		recv, sent uint64
		want       linkVerdict
	}
	for _, c := range []struct {
		name  string
		pto   time.Duration
		ticks []tick
	}{
		{"idle: nothing sent, nothing probed", 30 * ms, []tick{
			{10, 10, linkOK}, {10, 10, linkOK}, {10, 10, linkOK}, {10, 10, linkOK}, {10, 10, linkOK}, {10, 10, linkOK}, {10, 10, linkOK}, {10, 10, linkOK},
		}},
		{"one ACK after the last packet heard is no question", 30 * ms, []tick{
			{10, 10, linkOK}, {11, 10, linkOK}, {11, 11, linkOK}, {11, 11, linkOK}, {11, 11, linkOK}, {11, 11, linkOK}, {11, 11, linkOK}, {11, 11, linkOK}, {11, 11, linkOK},
		}},
		{"busy sending, ACKed every tick", 30 * ms, []tick{
			{10, 10, linkOK}, {60, 210, linkOK}, {110, 410, linkOK}, {160, 610, linkOK}, {210, 810, linkOK}, {260, 1010, linkOK}, {310, 1210, linkOK}, {360, 1410, linkOK},
		}},
		{"busy receiving", 30 * ms, []tick{
			{10, 10, linkOK}, {210, 60, linkOK}, {410, 110, linkOK}, {610, 160, linkOK}, {810, 210, linkOK}, {1010, 260, linkOK}, {1210, 310, linkOK},
		}},
		{"slow: answers 3 s after each send, never cut", 30 * ms, []tick{
			{10, 10, linkOK}, {10, 14, linkOK}, {10, 15, linkProbe}, {10, 16, linkOK}, {11, 17, linkOK},
			{11, 20, linkOK}, {11, 21, linkProbe}, {11, 22, linkOK}, {12, 23, linkOK},
			{12, 26, linkOK}, {12, 27, linkProbe}, {12, 28, linkOK}, {13, 29, linkOK},
		}},
		{"dead: sends unanswered", 30 * ms, []tick{
			{10, 10, linkOK}, {10, 13, linkOK}, {10, 14, linkProbe}, {10, 15, linkOK}, {10, 16, linkProbe}, {10, 16, linkOK}, {10, 17, linkDead},
		}},
		{"dead once the sends began, idle before", 30 * ms, []tick{
			{10, 10, linkOK}, {10, 10, linkOK}, {10, 10, linkOK}, {10, 10, linkOK}, {10, 13, linkOK}, {10, 13, linkProbe}, {10, 14, linkOK}, {10, 15, linkProbe}, {10, 15, linkOK}, {10, 15, linkDead},
		}},
		{"answer in the last second: not dead, starts over", 30 * ms, []tick{
			{10, 10, linkOK}, {10, 13, linkOK}, {10, 14, linkProbe}, {10, 15, linkOK}, {10, 16, linkProbe}, {11, 16, linkOK}, {11, 17, linkOK}, {11, 19, linkOK}, {11, 19, linkProbe},
		}},
		{"a slow path's own PTO stretches the wait (3 x 2.5 s)", 2500 * ms, []tick{
			{10, 10, linkOK}, {10, 13, linkOK}, {10, 14, linkProbe}, {10, 15, linkOK}, {10, 16, linkProbe}, {10, 16, linkOK}, {10, 17, linkProbe}, {10, 17, linkOK}, {10, 17, linkProbe}, {10, 17, linkDead},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var s linkState
			now := time.Unix(1000, 0)
			for i, k := range c.ticks {
				now = now.Add(time.Second)
				if got := s.step(now, linkSample{recv: k.recv, sent: k.sent, pto: c.pto}, defaultLinkParams); got != k.want {
					t.Fatalf("tick %d (recv %d, sent %d): verdict %d, want %d", i, k.recv, k.sent, got, k.want)
				}
			}
		})
	}
}

// udpProxy forwards UDP between one client and target; it can drop
// everything (a gateway that lost its mapping) or delay every packet.
type udpProxy struct {
	front, back *net.UDPConn
	target      *net.UDPAddr
	client      atomic.Pointer[net.UDPAddr]
	cut         atomic.Bool
	delay       time.Duration
	wg          sync.WaitGroup
}

func newUDPProxy(t *testing.T, target ma.Multiaddr, delay time.Duration) *udpProxy {
	t.Helper()
	na, err := manet.ToNetAddr(target.Decapsulate(ma.StringCast("/quic-v1")))
	if err != nil {
		t.Fatal(err)
	}
	front, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	back, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &udpProxy{front: front, back: back, target: na.(*net.UDPAddr), delay: delay}
	p.wg.Add(2)
	go p.pump(front, func() *net.UDPAddr { return p.target }, back, true)
	go p.pump(back, p.client.Load, front, false)
	t.Cleanup(func() {
		front.Close()
		back.Close()
		p.wg.Wait()
	})
	return p
}

// pump reads from in and writes to out, to the address to() names.
func (p *udpProxy) pump(in *net.UDPConn, to func() *net.UDPAddr, out *net.UDPConn, fromClient bool) {
	defer p.wg.Done()
	buf := make([]byte, 1<<16)
	for {
		n, from, err := in.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if fromClient {
			p.client.CompareAndSwap(nil, from)
		}
		dst := to()
		if p.cut.Load() || dst == nil {
			continue
		}
		pkt := append([]byte(nil), buf[:n]...)
		if p.delay == 0 {
			_, _ = out.WriteToUDP(pkt, dst)
			continue
		}
		time.AfterFunc(p.delay, func() {
			if !p.cut.Load() {
				_, _ = out.WriteToUDP(pkt, dst)
			}
		})
	}
}

// addr is the proxy's address for peer id, as a QUIC multiaddr.
func (p *udpProxy) addr(t *testing.T, id peer.ID) string {
	t.Helper()
	a, err := manet.FromNetAddr(p.front.LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	return a.String() + "/quic-v1/p2p/" + id.String()
}

// fastLinks are thresholds for in-process tests.
var fastLinks = linkParams{tick: 100 * time.Millisecond, probeAfter: 100 * time.Millisecond, probeGap: 200 * time.Millisecond, deadAfter: time.Second, minProbes: 2}

func newLinkHost(t *testing.T) *Host {
	t.Helper()
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	lp := fastLinks
	h, err := New(Config{Key: k, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}, linkParams: &lp})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// linkPair connects b to a with QUIC through a proxy and, when r is not
// nil, first through relay r (the way around a direct link has in a
// workgroup); it returns the proxy and b's QUIC connection.
func linkPair(t *testing.T, ctx context.Context, a, b *Host, delay time.Duration, r *Host) (*udpProxy, network.Conn) {
	t.Helper()
	px := newUDPProxy(t, quicAddr(t, a), delay)
	relayed := r != nil
	if relayed {
		r.SetGate(members{}.add(a, b))
		if err := reserve(ctx, a, r); err != nil {
			t.Fatal(err)
		}
		if err := viaRelay(ctx, b, a, r); err != nil {
			t.Fatal(err)
		}
	}
	info, err := ParsePeerAddr(px.addr(t, a.ID()))
	if err != nil {
		t.Fatal(err)
	}
	b.Peerstore().ClearAddrs(a.ID())
	b.Peerstore().AddAddrs(a.ID(), info.Addrs, peerstore.TempAddrTTL)
	if _, err := b.Network().DialPeer(network.WithForceDirectDial(ctx, "test: direct through the proxy"), a.ID()); err != nil {
		t.Fatal(err)
	}
	qc := quicConnTo(b, a.ID())
	if qc == nil {
		t.Fatal("no QUIC connection after the dial")
	}
	want := 1
	if relayed {
		want = 2
	}
	if n := len(b.Network().ConnsToPeer(a.ID())); n != want {
		t.Fatalf("%d connections, want %d", n, want)
	}
	return px, qc
}

// quicConnTo is h's open QUIC connection to p (nil: none).
func quicConnTo(h *Host, p peer.ID) network.Conn {
	for _, c := range h.Network().ConnsToPeer(p) {
		var qc *quic.Conn
		if !c.IsClosed() && c.As(&qc) {
			return c
		}
	}
	return nil
}

// A direct QUIC link that goes silent under a send is closed while the
// peer has another connection (relayed); streams then go over that one.
func TestDeadLinkClosed(t *testing.T) {
	t.Parallel()
	a, b := newLinkHost(t), newLinkHost(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	px, qc := linkPair(t, ctx, a, b, 0, newRelayHost(t))
	px.cut.Store(true)
	sendUnanswered(t, ctx, qc)
	waitFor(t, "dead QUIC link closed", func() bool { return qc.IsClosed() })
	if b.deadLinks.Load() == 0 {
		t.Fatal("closed, but not by the watcher")
	}
	if cs := b.Network().ConnsToPeer(a.ID()); len(cs) != 1 || LinkOf(cs[0].RemoteMultiaddr()) != LinkRelayed {
		t.Fatalf("connections left %v, want the relayed one", cs)
	}
	if _, err := b.pingOnce(ctx, a.ID()); err != nil {
		t.Fatalf("ping over the relayed connection: %v", err)
	}
}

// The only connection to a peer is never closed: it is not watched, and
// a verdict that finds it alone keeps it.
func TestDeadLinkOnlyConnectionKept(t *testing.T) {
	t.Parallel()
	a, b := newLinkHost(t), newLinkHost(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	px, qc := linkPair(t, ctx, a, b, 0, nil)
	px.cut.Store(true)
	sendUnanswered(t, ctx, qc)
	var raw *quic.Conn
	qc.As(&raw)
	sent0 := raw.ConnectionStats().PacketsSent
	waitFor(t, "retransmissions", func() bool { return raw.ConnectionStats().PacketsSent >= sent0+3 })
	// Ticks over a minute of (virtual) time: nothing watched.
	states := map[network.Conn]*linkState{}
	now := time.Now()
	for range 600 {
		now = now.Add(fastLinks.tick)
		b.checkLinks(ctx, now, fastLinks, states)
	}
	if len(states) != 0 || qc.IsClosed() {
		t.Fatalf("only connection watched (%d) or closed (%v)", len(states), qc.IsClosed())
	}
	// A verdict reached while a second connection existed, applied
	// once it is gone: kept.
	b.closeDeadLink(qc, 10*time.Second, true)
	if qc.IsClosed() || b.keptLinks.Load() != 1 || b.deadLinks.Load() != 0 {
		t.Fatalf("closed %v, kept %d, dead %d", qc.IsClosed(), b.keptLinks.Load(), b.deadLinks.Load())
	}
}

// A silent direct link whose way around is silent too (this node's own
// uplink is down, say) is kept: nothing shows the relay works.
func TestDeadLinkKeptWhenAroundSilent(t *testing.T) {
	t.Parallel()
	a, b := newLinkHost(t), newLinkHost(t)
	r := newRelayHost(t, "/ip4/127.0.0.1/udp/0/quic-v1")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	toRelay := newUDPProxy(t, quicAddr(t, r), 0)
	if _, err := b.Connect(ctx, toRelay.addr(t, r.ID())); err != nil {
		t.Fatal(err)
	}
	px, qc := linkPair(t, ctx, a, b, 0, r)
	toRelay.cut.Store(true)
	px.cut.Store(true)
	sendUnanswered(t, ctx, qc)
	waitFor(t, "a verdict on the silent link", func() bool { return b.keptLinks.Load() > 0 || b.deadLinks.Load() > 0 })
	if qc.IsClosed() || b.deadLinks.Load() != 0 {
		t.Fatalf("closed %v (dead %d) with the way around silent", qc.IsClosed(), b.deadLinks.Load())
	}
}

// A busy link on a slow path (300 ms each way) is not cut: a bulk
// transfer that fills its windows for several times the dead threshold
// (1 s here) keeps being ACKed, and its probes wait behind it.
func TestBusySlowLinkNotCut(t *testing.T) {
	t.Parallel()
	a, b := newLinkHost(t), newLinkHost(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const size = 6 << 20
	done := make(chan error, 1)
	a.Handle(bulkProto, func(s network.Stream) {
		defer s.Close()
		n, err := io.Copy(io.Discard, s)
		if err == nil && n != size {
			err = fmt.Errorf("got %d bytes", n)
		}
		done <- err
	})
	_, qc := linkPair(t, ctx, a, b, 300*time.Millisecond, newRelayHost(t))
	s, err := qc.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetProtocol(bulkProto); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := msmux.NewMSSelect(s, bulkProto).Write(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("transfer did not end")
	}
	took := time.Since(start)
	if took < 3*fastLinks.deadAfter {
		t.Fatalf("transfer took %s: too short to test anything (want 3 x %s)", took, fastLinks.deadAfter)
	}
	if qc.IsClosed() || b.deadLinks.Load() != 0 || a.deadLinks.Load() != 0 {
		t.Fatalf("busy link cut after %s (closed %v, dead: a %d b %d)", took, qc.IsClosed(), a.deadLinks.Load(), b.deadLinks.Load())
	}
	t.Logf("%d MiB over a 600 ms RTT in %s, link kept", size>>20, took.Round(time.Millisecond))
}

// sendUnanswered gives a cut link something to answer: a stream's first
// bytes, so the sender retransmits and waits for an ACK that never comes.
func sendUnanswered(t *testing.T, ctx context.Context, qc network.Conn) {
	t.Helper()
	s, err := qc.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Reset() })
	_, _ = s.Write([]byte("hello?"))
}
