package spool

import (
	"context"
	"database/sql"
	"time"
)

// idleRescanTicks bounds how long the loop trusts its due horizon: a
// full scan runs at least every idleRescanTicks ticks (30 s by default)
// even when nothing is known to come due, a safety net for a write
// path that forgot to call dueChanged.
const idleRescanTicks = 30

// dueHorizon lets an idle loop skip the per-tick scan for due work (a
// SQL query whose prepare alone cost a 20-member node ~4% of its idle
// CPU): after a full scan that found nothing due, at is when the
// earliest queued job or receipt comes due (next_try), and the tick
// scans again only then. Every write that can make work due earlier
// (a job queued, a retry, a receipt stored or applied, a worker done,
// a peer connecting) calls dueChanged, which clears at so the next tick
// scans as before. gen detects a change that raced a scan. Guarded by
// Service.mu.
type dueHorizon struct {
	at   time.Time // zero: unknown, scan on the next tick
	last time.Time // the last full scan
	gen  uint64    // bumped by dueChanged
	n    int64     // full scans made (tests)
}

// dueChanged records that work may have come due earlier than the
// horizon: the next tick scans.
func (s *Service) dueChanged() {
	s.mu.Lock()
	s.due.gen++
	s.due.at = time.Time{}
	s.mu.Unlock()
}

// tickScan reports whether a tick at now must scan for due work.
func (s *Service) tickScan(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.due.at.IsZero() || !now.Before(s.due.at) || now.Sub(s.due.last) >= idleRescanTicks*s.cfg.Tick
}

// scanGen starts a full scan: the generation the horizon it computes
// belongs to.
func (s *Service) scanGen() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.due.last = time.Now()
	s.due.n++
	return s.due.gen
}

// setHorizon is called after a full scan at now (in ms) that found
// nothing due: it records when the earliest pending job or receipt
// comes due, unless something changed since the scan began (gen).
func (s *Service) setHorizon(ctx context.Context, gen uint64, now int64) {
	var next sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MIN(t) FROM (
		SELECT MIN(next_try) AS t FROM spool_outbox WHERE state IN (?,?) AND next_try>?
		UNION ALL SELECT MIN(next_try) FROM spool_receipts_out WHERE next_try>?)`,
		StateQueued, StateDeposited, now, now).Scan(&next)
	if err != nil {
		return // the horizon stays unknown: the next tick scans
	}
	at := time.UnixMilli(now).Add(idleRescanTicks * s.cfg.Tick)
	if next.Valid {
		at = time.UnixMilli(next.Int64)
	}
	s.mu.Lock()
	if s.due.gen == gen {
		s.due.at = at
	}
	s.mu.Unlock()
}
