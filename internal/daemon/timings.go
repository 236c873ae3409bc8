package daemon

import (
	"time"

	"github.com/peerhood/peerhood/internal/spool"
)

// Timings shortens the services' timers. Tests that run whole nodes
// in-process (internal/testnet) set it so that retries, mailbox fetches and
// heartbeats happen in milliseconds; a zero field keeps the service's
// default, and the PEERHOOD_SPOOL_* variables still override the spool's.
type Timings struct {
	SpoolRetryBase     time.Duration
	SpoolRetryCap      time.Duration
	SpoolTick          time.Duration
	SpoolFetchInterval time.Duration
	PresenceInterval   time.Duration // heartbeat of small workgroups
	ChatSync           time.Duration // period of chat's history sync
}

// spool copies the set spool timings into cfg.
func (t Timings) spool(cfg *spool.Config) {
	for _, f := range []struct {
		dst *time.Duration
		v   time.Duration
	}{
		{&cfg.RetryBase, t.SpoolRetryBase}, {&cfg.RetryCap, t.SpoolRetryCap},
		{&cfg.Tick, t.SpoolTick}, {&cfg.FetchInterval, t.SpoolFetchInterval},
	} {
		if f.v > 0 {
			*f.dst = f.v
		}
	}
}
