package presence

import "github.com/prometheus/client_golang/prometheus"

var membersOnlineDesc = prometheus.NewDesc("peerhood_members_online",
	"Members this node sees present (online, away or busy), itself included, by workgroup.", []string{"workgroup"}, nil)

// Collectors returns presence's metrics (the daemon registers them): the
// members seen present in each workgroup, counted when scraped.
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{onlineCollector{s}}
}

type onlineCollector struct{ s *Service }

func (c onlineCollector) Describe(ch chan<- *prometheus.Desc) { ch <- membersOnlineDesc }

func (c onlineCollector) Collect(ch chan<- prometheus.Metric) {
	dir := c.s.cfg.Dir
	for _, w := range dir.Workgroups() {
		n := 0
		for _, m := range dir.Members(w.ID) {
			if c.s.Of(w.ID, m.PeerID).State != Offline {
				n++
			}
		}
		ch <- prometheus.MustNewConstMetric(membersOnlineDesc, prometheus.GaugeValue, float64(n), w.ID)
	}
}
