package p2p

import "github.com/prometheus/client_golang/prometheus"

// The negotiation guard's figures (negotiating.go), read when /metrics
// is scraped: peerhood_p2p_negotiation_resets_total counts the inbound
// streams it reset while the slots of streams in protocol negotiation
// were nearly full (steadily rising: peers hold streams that never name
// a protocol); peerhood_p2p_streams_negotiating is how many are in
// negotiation now.
var (
	negResetsDesc = prometheus.NewDesc("peerhood_p2p_negotiation_resets_total",
		"Inbound streams reset while still negotiating their protocol because the slots all peers share were nearly full", nil, nil)
	negNowDesc = prometheus.NewDesc("peerhood_p2p_streams_negotiating",
		"Inbound streams still negotiating their protocol", nil, nil)
)

type negotiationCollector struct{ g *negotiationGuard }

func (c negotiationCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- negResetsDesc
	ch <- negNowDesc
}

func (c negotiationCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(negResetsDesc, prometheus.CounterValue, float64(c.g.evicted.Load()))
	ch <- prometheus.MustNewConstMetric(negNowDesc, prometheus.GaugeValue, float64(c.g.negotiating()))
}
