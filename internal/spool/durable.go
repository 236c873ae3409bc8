package spool

import (
	"context"
	"database/sql"
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
