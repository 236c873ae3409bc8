package p2p

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/prometheus/client_golang/prometheus"
)

func peerInfo(h *Host, p peer.ID) (PeerInfo, bool) {
	for _, pi := range h.Peers() {
		if pi.ID == p {
			return pi, true
		}
	}
	return PeerInfo{}, false
}

// A direct connection dialled after a relayed one is "direct", not
// "hole-punched" (only the hole punch service's own connections are),
// and a peer whose connections closed has no link and no RTT.
func TestLinkLabelFollowsConnection(t *testing.T) {
	r := newRelayHost(t)
	a, b := newTestHost(t), newTestHost(t)
	r.SetGate(members{}.add(a, b))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := reserve(ctx, a, r); err != nil {
		t.Fatal(err)
	}
	if err := viaRelay(ctx, b, a, r); err != nil {
		t.Fatal(err)
	}
	if l := b.Link(a.ID()); l != LinkRelayed {
		t.Fatalf("link over a circuit is %q, want relayed", l)
	}
	// A new connection is measured at once (the ping loop ticks every
	// 20 s): the dialling side has an RTT for the relayed link.
	for deadline := time.Now().Add(5 * time.Second); b.RTT(a.ID()) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no RTT for a new relayed connection within 5 s")
		}
	}
	if _, err := b.Connect(ctx, a.Network().ListenAddresses()[0].String()+"/p2p/"+a.ID().String()); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]*Host{{a, b}, {b, a}} {
		waitFor(t, "a direct link", func() bool { return pair[0].Link(pair[1].ID()) == LinkDirect })
		if pi, _ := peerInfo(pair[0], pair[1].ID()); pi.Link != LinkDirect {
			t.Fatalf("Peers labels a dialled connection %q, want direct", pi.Link)
		}
	}
	if b.RTT(a.ID()) <= 0 {
		t.Fatal("no RTT after Connect's ping")
	}
	if err := b.Network().ClosePeer(a.ID()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "no link after close", func() bool { return b.Link(a.ID()) == "" })
	if d := b.RTT(a.ID()); d != 0 {
		t.Fatalf("RTT %v shown with no connection", d)
	}
	// The samples themselves go when the close notification arrives,
	// which may come after the connection list is empty: wait for it (a
	// sample kept for good fails here).
	waitFor(t, "the RTT samples forgotten", func() bool { return b.rtt.get(a.ID(), LinkDirect) == 0 })
}

// The RTT shown comes from fresh pings: one slow sample (an uplink
// outage) does not linger once pings are fast again.
func TestRTTFromFreshPings(t *testing.T) {
	a, b := newTestHost(t), newTestHost(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := a.Connect(ctx, b.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	const outage = 1260 * time.Millisecond
	a.Peerstore().RecordLatency(b.ID(), outage)
	a.rtt.add(b.ID(), a.Link(b.ID()), outage, func() bool { return true })
	a.Measure(ctx, b.ID())
	pi, ok := peerInfo(a, b.ID())
	if !ok {
		t.Fatal("b not listed")
	}
	if pi.RTT <= 0 || pi.RTT > outage/4 {
		t.Fatalf("RTT %v after a fresh loopback ping following a %v sample", pi.RTT, outage)
	}
	if got := a.RTT(b.ID()); got != pi.RTT {
		t.Fatalf("RTT %v, Peers says %v", got, pi.RTT)
	}
}

type rttSample struct {
	link string
	d    time.Duration
}

func TestRTTEstimator(t *testing.T) {
	p := peer.ID("p")
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		add  []rttSample
		link string
		want time.Duration
	}{
		{"least of recent", []rttSample{{LinkDirect, 1260 * ms}, {LinkDirect, 4 * ms}, {LinkDirect, 6 * ms}}, LinkDirect, 4 * ms},
		{"old samples age out", []rttSample{{LinkDirect, 1 * ms}, {LinkDirect, 9 * ms}, {LinkDirect, 8 * ms}, {LinkDirect, 7 * ms}}, LinkDirect, 7 * ms},
		{"link change resets", []rttSample{{LinkRelayed, 80 * ms}, {LinkDirect, 5 * ms}}, LinkDirect, 5 * ms},
		{"other link has none", []rttSample{{LinkRelayed, 80 * ms}}, LinkDirect, 0},
		{"no link, no sample", []rttSample{{"", 3 * ms}}, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r rtts
			for _, s := range tc.add {
				r.add(p, s.link, s.d, func() bool { return true })
			}
			if got := r.get(p, tc.link); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	// A ping answered just as the last connection closed records nothing.
	var r rtts
	r.add(p, LinkDirect, 2*ms, func() bool { return false })
	if got := r.get(p, LinkDirect); got != 0 {
		t.Fatalf("a sample from a closed connection was kept: %v", got)
	}
}

// Hole punching and the relay service report to the host's registry.
func TestNATMetrics(t *testing.T) {
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	h, err := New(Config{Key: k, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Reachability: ReachPublic, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	waitFor(t, "relay service", func() bool { on, _ := h.RelayService(); return on })
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range fams {
		have[f.GetName()] = true
	}
	for _, name := range []string{"libp2p_holepunch_outcomes_total", "libp2p_holepunch_address_outcomes_total", "libp2p_relaysvc_status"} {
		if !have[name] {
			t.Errorf("metric %s missing", name)
		}
	}
}

// A member no address reaches is reported as "no route", with what was
// tried.
func TestNoRoute(t *testing.T) {
	a, b := newTestHost(t), newTestHost(t)
	var addr ma.Multiaddr
	for _, l := range b.Network().ListenAddresses() {
		if isDirectTCP(l) {
			addr = l
		}
	}
	id := b.ID()
	b.Close()
	a.Peerstore().AddAddr(id, addr, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := a.NewStream(ctx, id, "/peerhood-test/none/1")
	err = NoRoute(a.Peerstore(), id, err)
	if !errors.Is(err, ErrNoRoute) || !strings.Contains(err.Error(), "tried 1 direct addresses and 0 relays") {
		t.Fatalf("dial of a stopped peer: %v", err)
	}
	if other := errors.New("refused"); NoRoute(a.Peerstore(), id, other) != other {
		t.Fatal("NoRoute changed an error that is not a dial failure")
	}
}

// status tells which relays a node uses, whether it relays and why, its
// reachability and why hole punching is not ready.
func TestNATStatus(t *testing.T) {
	r := newRelayHost(t)
	a := newTestHost(t)
	r.SetGate(members{}.add(a))
	a.SetRelaySource(func(context.Context, int) []peer.AddrInfo {
		return []peer.AddrInfo{{ID: r.ID(), Addrs: r.Network().ListenAddresses()}}
	})
	waitFor(t, "a reservation on r", func() bool {
		rs := a.NAT().Relays
		return len(rs) == 1 && rs[0] == r.ID()
	})
	st := a.NAT()
	if st.Reachability != "unknown" || st.Relaying || st.HolePunch != HolePunchNoAddress {
		t.Fatalf("a (loopback, no verdict): %+v", st)
	}
	if st := r.NAT(); st.Reachability != "public" || !st.Relaying || st.RelayReason == "" || len(st.Relays) != 0 {
		t.Fatalf("r (forced public): %+v", st)
	}
}
