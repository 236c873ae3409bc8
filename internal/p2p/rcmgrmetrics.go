package p2p

import (
	"strings"

	"github.com/libp2p/go-libp2p/core/network"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/prometheus/client_golang/prometheus"
)

// The resource manager's metrics are read when /metrics is scraped, not
// pushed on every event. go-libp2p's own reporter (on by default) takes
// a mutex and formats an RFC3339Nano timestamp for every scope event
// (each stream opened, each memory reservation): 9.4% of a sharing
// node's CPU while serving small files (docs/design/speed.md). The node
// turns it off (rcmgr.WithMetricsDisabled: limits are enforced all the
// same) and exports the same gauges from the scopes' counters at scrape
// time: libp2p_rcmgr_connections{dir,scope}, libp2p_rcmgr_streams
// {dir,scope,protocol}, libp2p_rcmgr_memory{scope,protocol} and
// libp2p_rcmgr_fds{scope}, for the system and transient scopes and each
// protocol, plus libp2p_rcmgr_peers (peers holding a scope). What is
// lost: libp2p_rcmgr_blocked_resources and the per-peer histograms.

var (
	rcConnsDesc   = prometheus.NewDesc("libp2p_rcmgr_connections", "Number of Connections (read from the resource manager's scopes when scraped)", []string{"dir", "scope"}, nil)
	rcStreamsDesc = prometheus.NewDesc("libp2p_rcmgr_streams", "Number of Streams (read from the resource manager's scopes when scraped)", []string{"dir", "scope", "protocol"}, nil)
	rcMemoryDesc  = prometheus.NewDesc("libp2p_rcmgr_memory", "Amount of memory reserved in the Resource Manager (read when scraped)", []string{"scope", "protocol"}, nil)
	rcFDsDesc     = prometheus.NewDesc("libp2p_rcmgr_fds", "Number of file descriptors reserved in the Resource Manager (read when scraped)", []string{"scope"}, nil)
	rcPeersDesc   = prometheus.NewDesc("libp2p_rcmgr_peers", "Number of peers holding a resource manager scope (read when scraped)", nil, nil)
)

// rcmgrCollector exports a resource manager's counters at scrape time.
type rcmgrCollector struct{ rm rcmgr.ResourceManagerState }

func (c rcmgrCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{rcConnsDesc, rcStreamsDesc, rcMemoryDesc, rcFDsDesc, rcPeersDesc} {
		ch <- d
	}
}

func (c rcmgrCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.rm.Stat()
	scope := func(name string, s network.ScopeStat) {
		ch <- prometheus.MustNewConstMetric(rcConnsDesc, prometheus.GaugeValue, float64(s.NumConnsInbound), "inbound", name)
		ch <- prometheus.MustNewConstMetric(rcConnsDesc, prometheus.GaugeValue, float64(s.NumConnsOutbound), "outbound", name)
		ch <- prometheus.MustNewConstMetric(rcStreamsDesc, prometheus.GaugeValue, float64(s.NumStreamsInbound), "inbound", name, "")
		ch <- prometheus.MustNewConstMetric(rcStreamsDesc, prometheus.GaugeValue, float64(s.NumStreamsOutbound), "outbound", name, "")
		ch <- prometheus.MustNewConstMetric(rcMemoryDesc, prometheus.GaugeValue, float64(s.Memory), name, "")
		ch <- prometheus.MustNewConstMetric(rcFDsDesc, prometheus.GaugeValue, float64(s.NumFD), name)
	}
	scope("system", st.System)
	scope("transient", st.Transient)
	for p, s := range st.Protocols {
		ch <- prometheus.MustNewConstMetric(rcStreamsDesc, prometheus.GaugeValue, float64(s.NumStreamsInbound), "inbound", "protocol", string(p))
		ch <- prometheus.MustNewConstMetric(rcStreamsDesc, prometheus.GaugeValue, float64(s.NumStreamsOutbound), "outbound", "protocol", string(p))
		ch <- prometheus.MustNewConstMetric(rcMemoryDesc, prometheus.GaugeValue, float64(s.Memory), "protocol", string(p))
	}
	ch <- prometheus.MustNewConstMetric(rcPeersDesc, prometheus.GaugeValue, float64(len(st.Peers)))
}

// withoutRcmgr is a Registerer that skips go-libp2p's own
// libp2p_rcmgr_* collectors (fed only by the reporter the node turns
// off; they would show zeros), so rcmgrCollector can take their names.
type withoutRcmgr struct{ prometheus.Registerer }

func (r withoutRcmgr) Register(c prometheus.Collector) error {
	if isRcmgrCollector(c) {
		return nil
	}
	return r.Registerer.Register(c)
}

func (r withoutRcmgr) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err) // as prometheus.Registerer.MustRegister
		}
	}
}

func isRcmgrCollector(c prometheus.Collector) bool {
	ch := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(ch); close(ch) }()
	found := false
	for d := range ch {
		if strings.Contains(d.String(), `fqName: "libp2p_rcmgr_`) {
			found = true
		}
	}
	return found
}
