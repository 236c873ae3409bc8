package share

import "github.com/prometheus/client_golang/prometheus"

// transferMetrics count the get and put transfers this node's user runs
// (peerhood get/put through the control API), by direction and result,
// and the bytes they moved.
type transferMetrics struct {
	transfers *prometheus.CounterVec
	bytes     *prometheus.CounterVec
}

func newTransferMetrics() *transferMetrics {
	m := &transferMetrics{
		transfers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "peerhood_transfers_total",
			Help: "File transfers (get, put) run through this node, by direction and result (ok, error).",
		}, []string{"direction", "result"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "peerhood_transfer_bytes_total",
			Help: "Bytes that crossed the network in get and put transfers, by direction.",
		}, []string{"direction"}),
	}
	for _, d := range []string{"get", "put"} { // present at zero from the start
		m.bytes.WithLabelValues(d)
		m.transfers.WithLabelValues(d, "ok")
		m.transfers.WithLabelValues(d, "error")
	}
	return m
}

// Collectors returns the share service's metrics (the daemon registers
// them).
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.metrics.transfers, s.metrics.bytes}
}

// countTransfer records one finished transfer.
func (m *transferMetrics) countTransfer(put bool, res Result, err error) {
	dir, result := "get", "ok"
	if put {
		dir = "put"
	}
	if err != nil {
		result = "error"
	}
	m.transfers.WithLabelValues(dir, result).Inc()
	m.bytes.WithLabelValues(dir).Add(float64(max(res.Sent, 0)))
}
