package p2p

import (
	"testing"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"
)

// /metrics shows the guard's resets and the streams in negotiation now.
func TestNegotiationMetrics(t *testing.T) {
	g := guardNegotiation(&network.NullResourceManager{})
	reg := prometheus.NewRegistry()
	reg.MustRegister(negotiationCollector{g})
	var scopes []network.StreamManagementScope
	for _, p := range []peer.ID{"a", "a", "b"} {
		sc, err := g.OpenStream(p, network.DirInbound)
		if err != nil {
			t.Fatal(err)
		}
		scopes = append(scopes, sc)
	}
	if _, err := g.OpenStream("c", network.DirOutbound); err != nil { // outbound: not counted
		t.Fatal(err)
	}
	scopes[0].Done()
	g.evicted.Add(3)
	want := map[string]float64{"peerhood_p2p_negotiation_resets_total": 3, "peerhood_p2p_streams_negotiating": 2}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch {
			case m.GetCounter() != nil:
				got[mf.GetName()] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				got[mf.GetName()] = m.GetGauge().GetValue()
			}
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}
