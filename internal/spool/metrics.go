package spool

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The spool's metrics on GET /metrics: queue depth and mailbox usage are
// read from the database when scraped; deliveries and their latency
// (from queueing to the recipient's receipt) are counted as receipts
// arrive.
type metrics struct {
	delivered prometheus.Histogram
	queue     *prometheus.Desc
	mbMsgs    *prometheus.Desc
	mbBytes   *prometheus.Desc
}

func newMetrics() *metrics {
	return &metrics{
		delivered: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "peerhood_delivery_seconds",
			Help:    "Time from queueing a mail or copy to the recipient's receipt, of delivered jobs.",
			Buckets: []float64{0.05, 0.25, 1, 5, 30, 120, 600, 3600, 6 * 3600, 24 * 3600, 7 * 24 * 3600},
		}),
		queue:   prometheus.NewDesc("peerhood_queue_jobs", "Outgoing jobs by state (queued, deposited, failed).", []string{"state"}, nil),
		mbMsgs:  prometheus.NewDesc("peerhood_mailbox_messages", "Messages this node keeps as a mailbox for offline members.", nil, nil),
		mbBytes: prometheus.NewDesc("peerhood_mailbox_bytes", "Bytes of the messages this node keeps as a mailbox.", nil, nil),
	}
}

// Collectors returns the spool's metrics (the daemon registers them).
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.metrics.delivered, spoolCollector{s}}
}

// observeDelivered records a job's delivery latency.
func (s *Service) observeDelivered(created int64) {
	if created > 0 {
		s.metrics.delivered.Observe(time.Since(time.UnixMilli(created)).Seconds())
	}
}

type spoolCollector struct{ s *Service }

func (c spoolCollector) Describe(ch chan<- *prometheus.Desc) {
	m := c.s.metrics
	ch <- m.queue
	ch <- m.mbMsgs
	ch <- m.mbBytes
}

func (c spoolCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.s.metrics
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts := map[string]float64{StateQueued: 0, StateDeposited: 0, StateFailed: 0}
	rows, err := c.s.db.QueryContext(ctx, `SELECT state, count(*) FROM spool_outbox WHERE state IN (?,?,?) GROUP BY state`,
		StateQueued, StateDeposited, StateFailed)
	if err == nil {
		for rows.Next() {
			var st string
			var n float64
			if rows.Scan(&st, &n) == nil {
				counts[st] = n
			}
		}
		rows.Close()
	}
	for st, n := range counts {
		ch <- prometheus.MustNewConstMetric(m.queue, prometheus.GaugeValue, n, st)
	}
	var msgs, bytes float64
	_ = c.s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(size), 0) FROM spool_mailbox WHERE item=?`, itemMessage).Scan(&msgs, &bytes)
	ch <- prometheus.MustNewConstMetric(m.mbMsgs, prometheus.GaugeValue, msgs)
	ch <- prometheus.MustNewConstMetric(m.mbBytes, prometheus.GaugeValue, bytes)
}
