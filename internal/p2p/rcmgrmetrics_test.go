package p2p

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/peerhood/peerhood/internal/testutil"
)

// TestRcmgrMetricsAtScrape: with the resource manager's push reporter
// off, /metrics still shows its streams, per scope and per protocol,
// read from the scopes when scraped (and go-libp2p's own
// libp2p_rcmgr_* collectors, which would show zeros, are not there).
func TestRcmgrMetricsAtScrape(t *testing.T) {
	reg := prometheus.NewRegistry()
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Key: k, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b := newTestHost(t, "/ip4/127.0.0.1/tcp/0")
	b.Handle(ProtoTunnel, func(s network.Stream) { _, _ = s.Read(make([]byte, 1)) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := a.Connect(ctx, b.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	s, err := a.NewStream(ctx, b.ID(), ProtoTunnel)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Reset()
	if _, err := s.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		labels map[string]string
	}{
		{"libp2p_rcmgr_streams", map[string]string{"dir": "outbound", "scope": "protocol", "protocol": string(ProtoTunnel)}},
		{"libp2p_rcmgr_streams", map[string]string{"dir": "outbound", "scope": "system", "protocol": ""}},
		{"libp2p_rcmgr_connections", map[string]string{"dir": "outbound", "scope": "system"}},
		{"libp2p_rcmgr_peers", nil},
	}
	testutil.Eventually(t, 5*time.Second, func() error {
		mfs, err := reg.Gather()
		if err != nil {
			return err
		}
		for _, tc := range cases {
			if v := gaugeValue(reg, tc.name, tc.labels); v < 1 {
				return fmt.Errorf("%s%v = %v, want >= 1", tc.name, tc.labels, v)
			}
		}
		for _, mf := range mfs {
			if mf.GetName() == "libp2p_rcmgr_peer_memory" {
				return fmt.Errorf("go-libp2p's own rcmgr collectors are registered")
			}
		}
		return nil
	})
}

// gaugeValue is the value of the gauge name with exactly labels, or -1.
func gaugeValue(reg *prometheus.Registry, name string, labels map[string]string) float64 {
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; !ok || v != l.GetValue() {
					continue next
				}
			}
			return m.GetGauge().GetValue()
		}
	}
	return -1
}
