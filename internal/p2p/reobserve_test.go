package p2p

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	"github.com/libp2p/go-libp2p/p2p/protocol/identify/pb"
	"github.com/libp2p/go-msgio/pbio"
	ma "github.com/multiformats/go-multiaddr"
)

func quicAddr(t *testing.T, h *Host) ma.Multiaddr {
	t.Helper()
	for _, a := range h.Network().ListenAddresses() {
		if isQUIC(a) {
			return a
		}
	}
	t.Fatalf("%s listens on no QUIC address: %v", h.ID(), h.Network().ListenAddresses())
	return nil
}

// A peer asked on a fresh connection reports the address of this node's
// listening socket (the fresh connection leaves from it, as a punch
// does), and the connection the two had stays.
func TestAskObservedFromListenSocket(t *testing.T) {
	t.Parallel()
	a := newTestHost(t, "/ip4/127.0.0.1/udp/0/quic-v1")
	b := newTestHost(t, "/ip4/127.0.0.1/udp/0/quic-v1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := a.Connect(ctx, b.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	before := a.Network().ConnsToPeer(b.ID())
	o, err := askObserved(ctx, a.Network().(*swarm.Swarm), peer.AddrInfo{ID: b.ID(), Addrs: []ma.Multiaddr{quicAddr(t, b)}})
	if err != nil {
		t.Fatal(err)
	}
	if want := quicAddr(t, a); !o.obs.Equal(want) || !o.local.Equal(want) {
		t.Fatalf("observed %s from %s, want both %s", o.obs, o.local, want)
	}
	if after := a.Network().ConnsToPeer(b.ID()); len(after) != 1 || after[0] != before[0] {
		t.Fatalf("connections to b before %v, after %v", before, after)
	}
	// A peer ID that is not the one at the address: the handshake fails.
	if _, err := askObserved(ctx, a.Network().(*swarm.Swarm), peer.AddrInfo{ID: a.ID(), Addrs: []ma.Multiaddr{quicAddr(t, b)}}); err == nil {
		t.Fatal("asked b under a's peer ID: no error")
	}
}

// A re-observation replaces the older observations of the same listen
// address, keeps those of other listen addresses, and says whether its
// address is new.
func TestReplaceObserved(t *testing.T) {
	t.Parallel()
	h := newTestHost(t, "/ip4/127.0.0.1/udp/0/quic-v1", "/ip4/127.0.0.2/udp/0/quic-v1")
	var ls []ma.Multiaddr
	for _, a := range h.Network().ListenAddresses() {
		if isQUIC(a) {
			ls = append(ls, a)
		}
	}
	if len(ls) != 2 {
		t.Fatalf("listen addresses %v", ls)
	}
	l1, l2 := ls[0], ls[1]
	old1 := ma.StringCast("/ip4/11.77.100.1/udp/4317/quic-v1")
	old2 := ma.StringCast("/ip4/11.77.100.1/udp/5000/quic-v1")
	new1 := ma.StringCast("/ip4/11.77.100.21/udp/4317/quic-v1")
	p := h.punch
	for _, o := range []observation{{l1, old1}, {l2, old2}} {
		if !p.observeFrom(o.local, o.obs) {
			t.Fatalf("observation %s from %s not recorded", o.obs, o.local)
		}
	}
	newPort := ma.StringCast("/ip4/11.77.100.21/udp/6000/quic-v1")
	steps := []struct {
		name           string
		got            []observation
		changed, newIP bool
		want           []ma.Multiaddr
	}{
		{"no answer keeps all", nil, false, false, []ma.Multiaddr{old1, old2}},
		{"private answer is ignored", []observation{{l1, ma.StringCast("/ip4/10.0.0.1/udp/4317/quic-v1")}}, false, false, []ma.Multiaddr{old1, old2}},
		{"new address replaces the old one of its listen address", []observation{{l1, new1}}, true, true, []ma.Multiaddr{new1, old2}},
		{"the same again is not new", []observation{{l1, new1}, {l1, new1}}, false, false, []ma.Multiaddr{new1, old2}},
		{"a new port is new, its IP is not", []observation{{l1, newPort}}, true, false, []ma.Multiaddr{newPort, old2}},
	}
	for _, s := range steps {
		start := time.Now()
		if changed, newIP := p.replaceObserved(s.got, start); changed != s.changed || newIP != s.newIP {
			t.Fatalf("%s: changed %v new IP %v, want %v %v", s.name, changed, newIP, s.changed, s.newIP)
		}
		if got := p.addrs(); !sameAddrs(got, s.want) {
			t.Fatalf("%s: addrs %v, want %v", s.name, got, s.want)
		}
	}
}

func sameAddrs(a, b []ma.Multiaddr) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			found = found || x.Equal(y)
		}
		if !found {
			return false
		}
	}
	return true
}

func TestReobserveSched(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	type step struct {
		done    bool // record a round (changed below) started at "at"
		changed bool
		reason  string
		at      time.Duration // after t0
		due     bool
	}
	for _, c := range []struct {
		name  string
		steps []step
	}{
		{"first round at once", []step{{reason: reobservePunchFailed, due: true}, {reason: reobserveLinkLost, due: true}}},
		{"link lost: every 30 s", []step{
			{done: true, at: 0},
			{reason: reobserveLinkLost, at: 29 * time.Second, due: false},
			{reason: reobserveLinkLost, at: 30 * time.Second, due: true},
		}},
		{"failed punches: the gap doubles while nothing is new", []step{
			{done: true, at: 0},
			{reason: reobservePunchFailed, at: 29 * time.Second, due: false},
			{reason: reobservePunchFailed, at: 30 * time.Second, due: true},
			{done: true, at: 30 * time.Second},
			{reason: reobservePunchFailed, at: 89 * time.Second, due: false},
			{reason: reobserveLinkLost, at: 60 * time.Second, due: true},
			{reason: reobservePunchFailed, at: 90 * time.Second, due: true},
			{done: true, at: 90 * time.Second},
			{reason: reobservePunchFailed, at: 209 * time.Second, due: false},
			{reason: reobservePunchFailed, at: 210 * time.Second, due: true},
		}},
		{"a new address resets the gap", []step{
			{done: true, at: 0},
			{done: true, at: time.Minute},
			{done: true, changed: true, at: 10 * time.Minute},
			{reason: reobservePunchFailed, at: 10*time.Minute + 30*time.Second, due: true},
		}},
		{"the gap stops growing", []step{
			{done: true, at: 0}, {done: true, at: 0}, {done: true, at: 0}, {done: true, at: 0},
			{done: true, at: 0}, {done: true, at: 0}, {done: true, at: 0}, {done: true, at: 0},
			{reason: reobservePunchFailed, at: reobserveMaxGap, due: true},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var s reobserveSched
			for i, st := range c.steps {
				if st.done {
					s.done(t0.Add(st.at), st.changed)
					continue
				}
				if got := s.due(st.reason, t0.Add(st.at)); got != st.due {
					t.Fatalf("step %d (%s at +%s): due %v, want %v (gap %s)", i, st.reason, st.at, got, st.due, s.gap)
				}
			}
		})
	}
}

func identifyFrame(t testing.TB, m *pb.Identify) []byte {
	var buf bytes.Buffer
	if err := pbio.NewDelimitedWriter(&buf).WriteMsg(m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadObserved(t *testing.T) {
	obs := ma.StringCast("/ip4/11.77.100.21/udp/4317/quic-v1")
	big := &pb.Identify{ObservedAddr: obs.Bytes(), Protocols: make([]string, 1000)}
	for i := range big.Protocols {
		big.Protocols[i] = "/a/protocol/name/long/enough"
	}
	for _, c := range []struct {
		name string
		in   []byte
		want ma.Multiaddr // nil: an error
	}{
		{"observed address", identifyFrame(t, &pb.Identify{ObservedAddr: obs.Bytes(), ListenAddrs: [][]byte{obs.Bytes()}}), obs},
		{"none", identifyFrame(t, &pb.Identify{ListenAddrs: [][]byte{obs.Bytes()}}), nil},
		{"not a multiaddr", identifyFrame(t, &pb.Identify{ObservedAddr: []byte{0xff, 0xff, 0xff}}), nil},
		{"over the size bound", identifyFrame(t, big), nil},
		{"truncated", identifyFrame(t, &pb.Identify{ObservedAddr: obs.Bytes()})[:5], nil},
		{"empty", nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := readObserved(bytes.NewReader(c.in))
			if c.want == nil {
				if err == nil {
					t.Fatalf("got %s, want an error", got)
				}
				return
			}
			if err != nil || !got.Equal(c.want) {
				t.Fatalf("got %v, %v; want %s", got, err, c.want)
			}
		})
	}
}

// FuzzReadObserved: the identify answer read on a fresh connection is
// network input; whatever it holds, readObserved returns an address or
// an error.
func FuzzReadObserved(f *testing.F) {
	f.Add(identifyFrame(f, &pb.Identify{ObservedAddr: ma.StringCast("/ip4/11.77.100.21/udp/4317/quic-v1").Bytes()}))
	f.Add([]byte{0x05, 0x0a, 0x03, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := readObserved(bytes.NewReader(in))
		if err == nil && a == nil {
			t.Fatal("no address and no error")
		}
	})
}
