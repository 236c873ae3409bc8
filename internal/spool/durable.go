package spool

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// durableTx runs fn in a transaction whose commit is fsynced (SQLite
// synchronous=FULL on a connection of its own), for rows that are
// acknowledged to a peer once committed: inbox entries, mailbox deposits,
// queued jobs and receipts. The node's other transactions keep the
// store's default.
func (s *Service) durableTx(ctx context.Context, fn func(*sql.Tx) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("database connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous=FULL`); err != nil {
		return fmt.Errorf("set synchronous: %w", err)
	}
	defer conn.ExecContext(context.Background(), `PRAGMA synchronous=NORMAL`)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// durableExec runs one statement durably.
func (s *Service) durableExec(ctx context.Context, q string, args ...any) error {
	return s.durableTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	})
}

// Group commit: durable writes that callers make at the same time (many
// mails queued through the API at once) share one transaction and so one
// fsync. A caller's write joins the batch that forms while the previous
// commit runs, so a lone write waits for nothing; each write runs in a
// savepoint of its own, so one failing leaves the others, and no caller
// hears back before the commit holding its write is durable.

const maxGroup = 512

type commitReq struct {
	fn   func(*sql.Tx) error
	done chan error
}

var errClosed = errors.New("spool service is closed")

// groupCommit runs fn durably, batched with concurrent callers.
func (s *Service) groupCommit(fn func(*sql.Tx) error) error {
	req := &commitReq{fn: fn, done: make(chan error, 1)}
	select {
	case s.commitQ <- req:
	case <-s.commitDone:
		return errClosed
	}
	select {
	case err := <-req.done:
		return err
	case <-s.commitDone:
		select {
		case err := <-req.done:
			return err
		default:
			return errClosed
		}
	}
}

// committer runs batches of group commits until ctx ends.
func (s *Service) committer(ctx context.Context) {
	defer s.wg.Done()
	defer close(s.commitDone)
	for {
		var first *commitReq
		select {
		case <-ctx.Done():
			return
		case first = <-s.commitQ:
		}
		batch := []*commitReq{first}
	more:
		for len(batch) < maxGroup {
			select {
			case r := <-s.commitQ:
				batch = append(batch, r)
			default:
				break more
			}
		}
		s.commitBatch(batch)
	}
}

func (s *Service) commitBatch(batch []*commitReq) {
	ctx := context.Background()
	errs := make([]error, len(batch))
	err := s.durableTx(ctx, func(tx *sql.Tx) error {
		for i, r := range batch {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT grp`); err != nil {
				return err
			}
			if errs[i] = r.fn(tx); errs[i] != nil {
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO grp`); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `RELEASE grp`); err != nil {
				return err
			}
		}
		return nil
	})
	s.commits.Add(1)
	for i, r := range batch {
		if err != nil {
			errs[i] = err
		}
		r.done <- errs[i]
	}
}
