package p2p

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/client"
	ma "github.com/multiformats/go-multiaddr"
)

// members is a gate that admits every peer to connect and lets the peers
// in the set use the relay (a workgroup's RelayGate in miniature).
type members map[peer.ID]bool

func (members) AllowPeer(peer.ID, bool) bool         { return true }
func (m members) AllowReserve(p peer.ID) bool        { return m[p] }
func (m members) AllowCircuit(src, dst peer.ID) bool { return m[src] && m[dst] }
func (m members) add(hs ...*Host) members {
	for _, h := range hs {
		m[h.ID()] = true
	}
	return m
}

// newRelayHost starts a host forced public (it runs the relay service)
// and waits for the service to be on. It listens on addrs (default: TCP
// on loopback).
func newRelayHost(t testing.TB, addrs ...string) *Host {
	t.Helper()
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) == 0 {
		addrs = []string{"/ip4/127.0.0.1/tcp/0"}
	}
	h, err := New(Config{Key: k, ListenAddrs: addrs, Reachability: ReachPublic})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		if on, _ := h.RelayService(); on {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatal("relay service did not start on a host forced public")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// reserve makes h hold a reservation on relay r.
func reserve(ctx context.Context, h, r *Host) error {
	_, err := client.Reserve(ctx, h.Host, peer.AddrInfo{ID: r.ID(), Addrs: r.Network().ListenAddresses()})
	return err
}

// viaRelay connects src to dst knowing only dst's circuit address on r.
func viaRelay(ctx context.Context, src, dst, r *Host) error {
	circuit, err := ma.NewMultiaddr(fmt.Sprintf("/p2p/%s/p2p-circuit", r.ID()))
	if err != nil {
		return err
	}
	src.Peerstore().AddAddrs(r.ID(), r.Network().ListenAddresses(), peerstore.PermanentAddrTTL)
	var addrs []ma.Multiaddr
	for _, a := range r.Network().ListenAddresses() {
		addrs = append(addrs, a.Encapsulate(circuit))
	}
	return src.Host.Connect(ctx, peer.AddrInfo{ID: dst.ID(), Addrs: addrs})
}

const bulkProto = protocol.ID("/peerhood-test/bulk/1")

// A member relays for members with no per-circuit cut: 1 MiB (libp2p's
// default stops a circuit at 128 KiB each way) crosses a circuit, and a
// stranger gets no reservation.
func TestRelayMemberCircuitUnlimited(t *testing.T) {
	r := newRelayHost(t)
	a, b, stranger := newTestHost(t), newTestHost(t), newTestHost(t)
	r.SetGate(members{}.add(a, b))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := reserve(ctx, a, r); err != nil {
		t.Fatalf("member reservation: %v", err)
	}
	if err := reserve(ctx, stranger, r); err == nil {
		t.Fatal("a stranger got a reservation on a member relay")
	}
	got := make(chan int64, 1)
	a.SetStreamHandler(bulkProto, func(s network.Stream) {
		n, _ := io.Copy(io.Discard, s)
		_ = binary.Write(s, binary.BigEndian, n)
		_ = s.Close()
		got <- n
	})
	if err := viaRelay(ctx, b, a, r); err != nil {
		t.Fatalf("circuit b->a: %v", err)
	}
	for _, c := range b.Network().ConnsToPeer(a.ID()) {
		if LinkOf(c.RemoteMultiaddr()) != LinkRelayed {
			t.Fatalf("b reaches a by %s, want only relayed", c.RemoteMultiaddr())
		}
	}
	const size = 1 << 20
	s, err := b.NewStream(network.WithAllowLimitedConn(ctx, "test"), a.ID(), bulkProto)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(make([]byte, size)); err != nil {
		t.Fatalf("write %d bytes through the relay: %v", size, err)
	}
	_ = s.CloseWrite()
	var echoed int64
	if err := binary.Read(s, binary.BigEndian, &echoed); err != nil {
		t.Fatalf("read count back through the relay: %v", err)
	}
	if n := <-got; n != size || echoed != size {
		t.Fatalf("relay carried %d bytes (echoed %d), want %d", n, echoed, size)
	}
}

// The relay member's work stays bounded: with many members, at most
// MaxRelayCircuits circuits run through it at once; the next is refused.
func TestRelayCircuitCap(t *testing.T) {
	r := newRelayHost(t)
	const dsts, srcs = 5, 7 // 35 pairs, at most 7 circuits per member (under RelayCircuitsPerPeer)
	if dsts*srcs <= MaxRelayCircuits || dsts > RelayCircuitsPerPeer || srcs > RelayCircuitsPerPeer {
		t.Fatalf("test sized for MaxRelayCircuits %d, RelayCircuitsPerPeer %d", MaxRelayCircuits, RelayCircuitsPerPeer)
	}
	m := members{}
	var ds, ss []*Host
	for range dsts {
		ds = append(ds, newTestHost(t))
	}
	for range srcs {
		ss = append(ss, newTestHost(t))
	}
	r.SetGate(m.add(ds...).add(ss...))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, d := range ds {
		if err := reserve(ctx, d, r); err != nil {
			t.Fatalf("reservation: %v", err)
		}
	}
	var open, refused int
	for _, s := range ss {
		for _, d := range ds {
			if err := viaRelay(ctx, s, d, r); err != nil {
				refused++
				continue
			}
			open++
		}
	}
	if open != MaxRelayCircuits || refused != dsts*srcs-MaxRelayCircuits {
		t.Fatalf("%d circuits open, %d refused; want %d open (MaxRelayCircuits)", open, refused, MaxRelayCircuits)
	}
}

type allowAll struct{}

func (allowAll) AllowPeer(peer.ID, bool) bool { return true }

// Circuits have no per-circuit cut, so a gate that cannot tell members
// (no RelayGate) relays for no one, not for every peer it admits.
func TestRelayNeedsRelayGate(t *testing.T) {
	r := newRelayHost(t)
	a := newTestHost(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name string
		gate Gate
		ok   bool
	}{
		{"no gate", nil, false},
		{"gate without RelayGate", allowAll{}, false},
		{"members gate", members{}.add(a), true},
	} {
		if tc.gate != nil {
			r.SetGate(tc.gate)
		}
		if err := reserve(ctx, a, r); (err == nil) != tc.ok {
			t.Errorf("%s: reservation error %v, want allowed=%v", tc.name, err, tc.ok)
		}
	}
}

func TestRelayWanted(t *testing.T) {
	addrs := func(ss ...string) []ma.Multiaddr {
		var out []ma.Multiaddr
		for _, s := range ss {
			out = append(out, ma.StringCast(s))
		}
		return out
	}
	home := addrs("/ip4/127.0.0.1/tcp/4317", "/ip4/192.168.1.5/udp/4317/quic-v1", "/ip6/2001:db8::5/tcp/4317", "/ip6/2a01:4f8::5/tcp/4317")
	for _, tc := range []struct {
		name    string
		force   string
		autonat network.Reachability
		own     []ma.Multiaddr
		inbound bool
		want    bool
	}{
		{"home, AutoNAT unknown", ReachAuto, network.ReachabilityUnknown, home, false, false},
		{"home, AutoNAT public", ReachAuto, network.ReachabilityPublic, home, false, true},
		{"public IPv4, AutoNAT unknown", ReachAuto, network.ReachabilityUnknown, addrs("/ip4/11.77.100.10/tcp/4317"), false, true},
		{"carrier-grade NAT address", ReachAuto, network.ReachabilityUnknown, addrs("/ip4/100.72.3.4/udp/4317/quic-v1"), false, true},
		{"behind a 1:1 NAT, reached from a public address", ReachAuto, network.ReachabilityUnknown, home, true, true},
		{"reached from a public address, AutoNAT private", ReachAuto, network.ReachabilityPrivate, home, true, false},
		{"public IPv4, AutoNAT private (firewalled)", ReachAuto, network.ReachabilityPrivate, addrs("/ip4/11.77.100.10/tcp/4317"), false, false},
		{"global IPv6 only", ReachAuto, network.ReachabilityUnknown, addrs("/ip6/2a01:4f8::5/tcp/4317"), false, false},
		{"forced public", ReachPublic, network.ReachabilityPrivate, home, false, true},
		{"forced private", ReachPrivate, network.ReachabilityPublic, addrs("/ip4/11.77.100.10/tcp/4317"), false, false},
	} {
		if got, why := relayWanted(tc.force, tc.autonat, tc.own, tc.inbound); got != tc.want {
			t.Errorf("%s: relay %v (%s), want %v", tc.name, got, why, tc.want)
		}
	}
}

// BenchmarkRelayBulk moves 64 MiB from one member to another through a
// member relay (loopback TCP both legs) and reports MB/s.
func BenchmarkRelayBulk(b *testing.B) {
	r := newRelayHost(b)
	src, dst := newTestHost(b), newTestHost(b)
	r.SetGate(members{}.add(src, dst))
	ctx := context.Background()
	if err := reserve(ctx, dst, r); err != nil {
		b.Fatal(err)
	}
	dst.SetStreamHandler(bulkProto, func(s network.Stream) {
		n, _ := io.Copy(io.Discard, s)
		_ = binary.Write(s, binary.BigEndian, n)
		_ = s.Close()
	})
	if err := viaRelay(ctx, src, dst, r); err != nil {
		b.Fatal(err)
	}
	const size = 64 << 20
	buf := make([]byte, 1<<20)
	b.SetBytes(size)
	for b.Loop() {
		s, err := src.NewStream(network.WithAllowLimitedConn(ctx, "bench"), dst.ID(), bulkProto)
		if err != nil {
			b.Fatal(err)
		}
		for range size / len(buf) {
			if _, err := s.Write(buf); err != nil {
				b.Fatal(err)
			}
		}
		_ = s.CloseWrite()
		var n int64
		if err := binary.Read(s, binary.BigEndian, &n); err != nil || n != size {
			b.Fatalf("relayed %d bytes (%v), want %d", n, err, size)
		}
		_ = s.Close()
	}
}

// gossipLinks returns the links (direct, relayed) of h's gossipsub
// streams with p.
func gossipLinks(h *Host, p peer.ID) map[string]int {
	out := map[string]int{}
	for _, c := range h.Network().ConnsToPeer(p) {
		for _, st := range c.GetStreams() {
			if isGossipProtocol(string(st.Protocol())) {
				out[LinkOf(c.RemoteMultiaddr())]++
			}
		}
	}
	return out
}

// Once two members reached each other through a relay get a direct link,
// their gossip (presence, roster) moves onto it: it must not die with the
// relay member.
func TestGossipMovesOffRelay(t *testing.T) {
	r := newRelayHost(t)
	a, b := newTestHost(t), newTestHost(t)
	r.SetGate(members{}.add(a, b))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := reserve(ctx, a, r); err != nil {
		t.Fatal(err)
	}
	for _, h := range []*Host{a, b} {
		ps, err := h.PubSub()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ps.Join("presence"); err != nil {
			t.Fatal(err)
		}
	}
	if err := viaRelay(ctx, b, a, r); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "gossip over the relayed link", func() bool { return gossipLinks(b, a.ID())[LinkRelayed] > 0 })
	if _, err := b.Connect(ctx, a.Network().ListenAddresses()[0].String()+"/p2p/"+a.ID().String()); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]*Host{{a, b}, {b, a}} {
		waitFor(t, "gossip only over the direct link", func() bool {
			l := gossipLinks(pair[0], pair[1].ID())
			return l[LinkRelayed] == 0 && l[LinkDirect] > 0
		})
	}
}

// waitFor polls cond until it holds, failing the test after 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 20 s", what)
		}
	}
}
