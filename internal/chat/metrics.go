package chat

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// workCounts counts the work chat does per message, so a bench (and a
// test) can tell one unit of work per delivered message from work done
// twice: GET /metrics, peerhood_chat_work_total{what}.
type workCounts struct {
	verify  atomic.Uint64 // Ed25519 signatures checked (any path)
	decoded atomic.Uint64 // messages from the network parsed (gossip, history, direct)

	gossip atomic.Uint64 // gossip messages handed to the writer
	pushed atomic.Uint64 // pushed messages handed to the writer (push.go)
	synced atomic.Uint64 // history messages handed to the store (checked)
	direct atomic.Uint64 // direct messages taken (stream or spool)
	stored atomic.Uint64 // messages of others newly stored (any path, held ones released included)

	syncRounds  atomic.Uint64 // heads asked (one per sync round)
	syncGets    atomic.Uint64 // get requests sent
	syncServed  atomic.Uint64 // heads and get requests answered
	fetched     atomic.Uint64 // messages received in get replies
	fetchedKnow atomic.Uint64 // of those, stored or on their way here already (dropped unverified)
	syncSkipped atomic.Uint64 // authors whose ranges were shortened: messages on their way here
	syncTold    atomic.Uint64 // syncs not run: the peer showed it had nothing new since they were asked for (told.go)

	writeBatches atomic.Uint64 // the writer's batches (topics.go)
	indexBatches atomic.Uint64 // the indexer's transactions (fts.go)
	indexed      atomic.Uint64 // messages indexed in chat_ids and chat_chain
	ftsIndexed   atomic.Uint64 // messages indexed in chat_fts (the full-text index)
	syncHeld     atomic.Uint64 // reads of chat_held by sync rounds (only those whose peer had something this node lacks: anyAhead)
	logScans     atomic.Uint64 // lists of the logs to keep (wantedLogs: topicwatch.go)
}

var workDesc = prometheus.NewDesc("peerhood_chat_work_total",
	"Chat work per kind: signatures verified, messages decoded, received by gossip, push, history sync and direct, stored; history sync requests, answers, messages fetched and those already known.",
	[]string{"what"}, nil)

// Collectors returns chat's metrics (the daemon registers them).
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{workCollector{&s.work}, lockCollector{&s.storeMu}}
}

type workCollector struct{ w *workCounts }

func (workCollector) Describe(ch chan<- *prometheus.Desc) { ch <- workDesc }

func (c workCollector) Collect(ch chan<- prometheus.Metric) {
	for k, v := range c.w.snapshot() {
		ch <- prometheus.MustNewConstMetric(workDesc, prometheus.CounterValue, float64(v), k)
	}
}

// snapshot returns the counters by name.
func (w *workCounts) snapshot() map[string]uint64 {
	return map[string]uint64{
		"verify": w.verify.Load(), "decoded": w.decoded.Load(),
		"gossip": w.gossip.Load(), "pushed": w.pushed.Load(), "synced": w.synced.Load(), "direct": w.direct.Load(), "stored": w.stored.Load(),
		"sync_rounds": w.syncRounds.Load(), "sync_gets": w.syncGets.Load(), "sync_served": w.syncServed.Load(),
		"fetched": w.fetched.Load(), "fetched_known": w.fetchedKnow.Load(), "sync_skipped": w.syncSkipped.Load(), "sync_told": w.syncTold.Load(),
		"write_batches": w.writeBatches.Load(), "index_batches": w.indexBatches.Load(), "indexed": w.indexed.Load(), "fts_indexed": w.ftsIndexed.Load(),
		"sync_held": w.syncHeld.Load(), "log_scans": w.logScans.Load(),
	}
}

// decodeNet parses and verifies a message from the network, counting both.
func (s *Service) decodeNet(raw []byte) (*msg, error) {
	m, sm, err := parse(raw)
	s.work.decoded.Add(1)
	if err != nil {
		return nil, err
	}
	if err := s.verifyNet(m, sm); err != nil {
		return nil, err
	}
	return m, nil
}

// verifyNet checks m's signature, counting it.
func (s *Service) verifyNet(m *msg, sm signed) error {
	s.work.verify.Add(1)
	return m.verify(sm)
}
