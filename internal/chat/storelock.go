package chat

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The store lock (Service.storeMu) serializes every write of the chat
// tables: the writer's batches and history syncs (insert), a member's own
// messages (send), the indexer (fts.go). Who holds it, and for how long,
// is what a receiving member's latency tail is made of when one holder
// keeps it long: storeLock counts, per holder, the time spent waiting for
// it and holding it, and the holds over longHold, as
// peerhood_chat_store_lock_seconds_total{holder,what} and
// peerhood_chat_store_lock_long_total{holder} (bench/chatload reads them
// per second of a run).

// lockHolder names a user of the store lock.
type lockHolder int

const (
	holdStore lockHolder = iota // insert: the writer, history sync, direct messages
	holdSay                     // storeOwn: a direct message, or a Say while the writer does not run (a room Say goes with the writer's batch: holdStore)
	holdIndex                   // the indexer (fts.go)
	holdOther                   // countHeld and the like
	nHolders
)

var holderNames = [nHolders]string{"store", "say", "index", "other"}

// longHold is a hold that shows in a member's latency (the goal is a p99
// of 50 ms over the whole path).
const longHold = 10 * time.Millisecond

// storeLock is the store lock with its counters. Lock and Unlock (the
// embedded mutex) take it uncounted.
type storeLock struct {
	sync.Mutex
	wait, hold, long [nHolders]atomic.Int64 // ns, ns, holds over longHold
}

// lockTicket is a counted hold: when it was asked for and taken.
type lockTicket struct {
	who          lockHolder
	asked, taken time.Time
}

// take locks for who.
func (l *storeLock) take(who lockHolder) lockTicket {
	t := lockTicket{who: who, asked: time.Now()}
	l.Lock()
	t.taken = time.Now()
	return t
}

// give unlocks a hold taken by take and counts it.
func (l *storeLock) give(t lockTicket) {
	held := time.Since(t.taken)
	l.Unlock()
	l.wait[t.who].Add(int64(t.taken.Sub(t.asked)))
	l.hold[t.who].Add(int64(held))
	if held >= longHold {
		l.long[t.who].Add(1)
	}
}

var (
	lockSecondsDesc = prometheus.NewDesc("peerhood_chat_store_lock_seconds_total",
		"Time chat's store path waited for (what=wait) and held (what=hold) its store lock, per holder: store (received messages), say (own messages), index (full-text and chain indexer), other.",
		[]string{"holder", "what"}, nil)
	lockLongDesc = prometheus.NewDesc("peerhood_chat_store_lock_long_total",
		"Holds of chat's store lock over 10 ms, per holder.", []string{"holder"}, nil)
)

type lockCollector struct{ l *storeLock }

func (lockCollector) Describe(ch chan<- *prometheus.Desc) { ch <- lockSecondsDesc; ch <- lockLongDesc }

func (c lockCollector) Collect(ch chan<- prometheus.Metric) {
	for h := range nHolders {
		name := holderNames[h]
		ch <- prometheus.MustNewConstMetric(lockSecondsDesc, prometheus.CounterValue, time.Duration(c.l.wait[h].Load()).Seconds(), name, "wait")
		ch <- prometheus.MustNewConstMetric(lockSecondsDesc, prometheus.CounterValue, time.Duration(c.l.hold[h].Load()).Seconds(), name, "hold")
		ch <- prometheus.MustNewConstMetric(lockLongDesc, prometheus.CounterValue, float64(c.l.long[h].Load()), name)
	}
}
