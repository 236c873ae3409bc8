package tunnel

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics of the services and forwards on the control API's /metrics,
// read from the same counters as `service ls` and `forward ls` when
// scraped (labels: service name; forward local address and
// MEMBER:SERVICE). bytes_total's direction is "in" (from the using side
// towards the target) or "out".
var (
	descSvcOpen    = prometheus.NewDesc("peerhood_tunnel_service_connections_open", "Open tunnels into this node's service", []string{"service"}, nil)
	descSvcTotal   = prometheus.NewDesc("peerhood_tunnel_service_connections_total", "Tunnels carried by this node's service since start", []string{"service"}, nil)
	descSvcRefused = prometheus.NewDesc("peerhood_tunnel_service_refused_total", "Tunnels refused (not found, forbidden, target down, busy) for this node's service", []string{"service"}, nil)
	descSvcBytes   = prometheus.NewDesc("peerhood_tunnel_service_bytes_total", "Bytes carried by this node's service", []string{"service", "direction"}, nil)
	descFwdOpen    = prometheus.NewDesc("peerhood_tunnel_forward_connections_open", "Open connections through a forward of this node", []string{"local", "to"}, nil)
	descFwdTotal   = prometheus.NewDesc("peerhood_tunnel_forward_connections_total", "Connections accepted by a forward since start", []string{"local", "to"}, nil)
	descFwdFailed  = prometheus.NewDesc("peerhood_tunnel_forward_failed_total", "Connections a forward could not carry (refused or member unreachable)", []string{"local", "to"}, nil)
	descFwdBytes   = prometheus.NewDesc("peerhood_tunnel_forward_bytes_total", "Bytes carried by a forward", []string{"local", "to", "direction"}, nil)
)

// Collector returns the service's Prometheus collector (register it on
// the node's registry).
func (s *Service) Collector() prometheus.Collector { return collector{s} }

type collector struct{ s *Service }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSvcOpen, descSvcTotal, descSvcRefused, descSvcBytes, descFwdOpen, descFwdTotal, descFwdFailed, descFwdBytes} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	c.s.mu.Lock()
	svcs := make(map[string]Stats, len(c.s.stats))
	for name, st := range c.s.stats {
		svcs[name] = st.snapshot()
	}
	c.s.mu.Unlock()
	for name, st := range svcs {
		ch <- prometheus.MustNewConstMetric(descSvcOpen, prometheus.GaugeValue, float64(st.Active), name)
		ch <- prometheus.MustNewConstMetric(descSvcTotal, prometheus.CounterValue, float64(st.Total), name)
		ch <- prometheus.MustNewConstMetric(descSvcRefused, prometheus.CounterValue, float64(st.Refused), name)
		ch <- prometheus.MustNewConstMetric(descSvcBytes, prometheus.CounterValue, float64(st.BytesIn), name, "in")
		ch <- prometheus.MustNewConstMetric(descSvcBytes, prometheus.CounterValue, float64(st.BytesOut), name, "out")
	}
	for _, f := range c.s.Forwards() {
		to, st := f.Member+":"+f.Service, f.Stats
		ch <- prometheus.MustNewConstMetric(descFwdOpen, prometheus.GaugeValue, float64(st.Active), f.Local, to)
		ch <- prometheus.MustNewConstMetric(descFwdTotal, prometheus.CounterValue, float64(st.Total), f.Local, to)
		ch <- prometheus.MustNewConstMetric(descFwdFailed, prometheus.CounterValue, float64(st.Refused), f.Local, to)
		ch <- prometheus.MustNewConstMetric(descFwdBytes, prometheus.CounterValue, float64(st.BytesIn), f.Local, to, "in")
		ch <- prometheus.MustNewConstMetric(descFwdBytes, prometheus.CounterValue, float64(st.BytesOut), f.Local, to, "out")
	}
}
