package spool

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// dueJob is what a worker needs to deliver a job.
type dueJob struct {
	id, hash  string
	wg        string
	recipient peer.ID
	envelope  []byte
	inline    []byte
	size      uint64
	state     string
	attempts  int
}

func (s *Service) jobsFor(ctx context.Context, p peer.ID, limit int) ([]dueJob, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, hash, workgroup, envelope, inline, size, state, attempts FROM spool_outbox
		WHERE recipient=? AND state IN (?,?) AND next_try<=? ORDER BY created LIMIT ?`, p.String(), StateQueued, StateDeposited, nowMs(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dueJob
	for rows.Next() {
		j := dueJob{recipient: p}
		var size int64
		if err := rows.Scan(&j.id, &j.hash, &j.wg, &j.envelope, &j.inline, &size, &j.state, &j.attempts); err != nil {
			return nil, err
		}
		j.size = uint64(size)
		s.mu.Lock()
		live := s.liveJobs[j.id]
		s.mu.Unlock()
		if !live { // a live offer is sending it (live_send.go)
			out = append(out, j)
		}
	}
	return out, rows.Err()
}

func (s *Service) setJobState(ctx context.Context, id, state, route, reason string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE spool_outbox SET state=?, route=CASE WHEN ?='' THEN route ELSE ? END, last_error=?, updated=? WHERE id=? AND state NOT IN (?,?)`,
		state, route, route, reason, nowMs(), id, StateDelivered, StateCancelled)
	if n, _ := rowsAffected(res, err); n > 0 {
		s.noteJobs(ctx, id)
	}
	return err
}

// attemptFailed records a failed attempt and schedules the next.
func (s *Service) attemptFailed(ctx context.Context, j dueJob, reason string) {
	s.attemptsFailed(ctx, []dueJob{j}, reason)
}

// attemptsFailed records failed attempts of several jobs in one transaction.
func (s *Service) attemptsFailed(ctx context.Context, jobs []dueJob, reason string) {
	s.recordFailed(ctx, jobs, reason, false)
}

// recordFailed records failed attempts; the next try is after the jobs'
// backoff, or now when retryNow (their recipient just connected, kick.go).
func (s *Service) recordFailed(ctx context.Context, jobs []dueJob, reason string, retryNow bool) {
	if len(jobs) == 0 {
		return
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		upd, err := tx.PrepareContext(ctx, `UPDATE spool_outbox SET attempts=attempts+1, next_try=?, last_error=?, updated=? WHERE id=? AND state IN (?,?)`)
		if err != nil {
			return err
		}
		defer upd.Close()
		for _, j := range jobs {
			next := nowMs()
			if !retryNow {
				next = time.Now().Add(backoff(s.cfg.RetryBase, s.cfg.RetryCap, j.attempts+1)).UnixMilli()
			}
			_, err := upd.ExecContext(ctx, next, reason, nowMs(), j.id, StateQueued, StateDeposited)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Warn("record failed attempts", "jobs", len(jobs), "err", err)
	}
	s.dueChanged()
}

// finishJob applies a receipt from the job's recipient: delivered or failed.
func (s *Service) finishJob(ctx context.Context, rec *Receipt) error {
	return s.applyReceipts(ctx, []*Receipt{rec}, "")
}

// applyReceipts applies verified receipts in one transaction. route, when
// set, records how the jobs went.
func (s *Service) applyReceipts(ctx context.Context, recs []*Receipt, route string) error {
	defer s.dueChanged() // a mismatch schedules a retry
	var release, changed []string
	var delivered []int64 // created, of the jobs delivered
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		release, changed, delivered = release[:0], changed[:0], delivered[:0]
		sel, err := tx.PrepareContext(ctx, `SELECT recipient, hash, state, size, created FROM spool_outbox WHERE id=?`)
		if err != nil {
			return err
		}
		defer sel.Close()
		// The try that delivered counts as one (a deposit counted already).
		upd, err := tx.PrepareContext(ctx, `UPDATE spool_outbox SET state=?, inline=NULL, last_error='', updated=?,
					route=CASE WHEN ?='' THEN route ELSE ? END, attempts=attempts+(state='`+StateQueued+`') WHERE id=?`)
		if err != nil {
			return err
		}
		defer upd.Close()
		for _, rec := range recs {
			id := rec.IDString()
			var recipient, hash, state string
			var size, created int64
			err := sel.QueryRowContext(ctx, id).Scan(&recipient, &hash, &state, &size, &created)
			if errors.Is(err, sql.ErrNoRows) {
				continue // not ours, or long gone
			}
			if err != nil {
				return err
			}
			if recipient != peer.ID(rec.From).String() {
				s.log.Warn("receipt not signed by the job's recipient", "job", id, "signer", peer.ID(rec.From))
				continue
			}
			if state == StateDelivered || state == StateCancelled {
				continue
			}
			if why := s.receiptMismatch(rec, hash); why != "" {
				// Signed by the recipient, but for another message under
				// this ID (another sender's, or other bytes): not ours.
				s.log.Warn("receipt does not match the job", "job", id, "why", why)
				_, err = tx.ExecContext(ctx, `UPDATE spool_outbox SET attempts=attempts+1, next_try=?, last_error=?, updated=? WHERE id=? AND state IN (?,?)`,
					time.Now().Add(s.cfg.RetryBase).UnixMilli(), "recipient's receipt does not match this message: "+why, nowMs(), id, StateQueued, StateDeposited)
				if err != nil {
					return err
				}
				continue
			}
			if rec.Status == StatusAccepted {
				_, err = upd.ExecContext(ctx, StateDelivered, nowMs(), route, route, id)
				delivered = append(delivered, created)
				if size > InlineMax {
					release = append(release, hash)
				}
			} else {
				s.log.Warn("recipient rejected message", "job", id, "reason", rec.Reason)
				_, err = tx.ExecContext(ctx, `UPDATE spool_outbox SET state=?, last_error=?, updated=? WHERE id=?`,
					StateFailed, "rejected by recipient: "+rec.Reason, nowMs(), id)
			}
			if err != nil {
				return err
			}
			changed = append(changed, id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("apply receipts: %w", err)
	}
	s.noteJobs(ctx, changed...)
	for _, c := range delivered {
		s.observeDelivered(c)
	}
	for _, rec := range recs {
		s.setProgress(rec.IDString(), 0)
	}
	for _, h := range release {
		s.releaseCiphertext(ctx, h)
	}
	return nil
}

// receiptMismatch says why a receipt signed by a job's recipient is not
// the receipt of that job's message ("" when it is): it must be addressed
// to this node and name the job's ciphertext hash.
func (s *Service) receiptMismatch(rec *Receipt, hash string) string {
	switch {
	case peer.ID(rec.To) != s.self:
		return fmt.Sprintf("it answers a message from %s", peer.ID(rec.To))
	case len(rec.Hash) == 0:
		return "it names no ciphertext hash"
	case rec.HashString() != hash:
		return "it answers other content under the same ID"
	}
	return ""
}
