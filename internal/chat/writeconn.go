package chat

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
)

// The store path's transactions (the writer's batches with the Says in
// them, syncs, direct messages, the indexer's: everything under storeMu
// that goes through txq) run on one connection kept for them, with BEGIN
// IMMEDIATE, COMMIT and ROLLBACK prepared once on it, and its statements
// prepared on it once. Through database/sql's Tx the SQLite driver
// prepared BEGIN and COMMIT anew for every transaction, and database/sql
// bound each cached statement to it: one-row transaction 41-67 → 27-36
// µs of CPU (docs/design/records/2026-12-01-s12-say.md). A connection that only writes also
// keeps its page cache: SQLite empties a connection's cache when
// another connection committed since its last transaction.
//
// storeMu serializes every use of the connection. A connection that
// fails to begin, commit or roll back is discarded (never returned to
// the pool inside a transaction) and the next transaction opens
// another; when none can be had the transaction runs through
// database/sql's Tx on the pool as before.

// writeConn is the store path's connection and its statements.
type writeConn struct {
	c                       *sql.Conn
	begin, commit, rollback *sql.Stmt
	stmts                   map[string]*sql.Stmt
}

// openWriteConn takes a connection from the pool and prepares its
// transaction statements.
func openWriteConn(ctx context.Context, db *sql.DB) (*writeConn, error) {
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &writeConn{c: c, stmts: map[string]*sql.Stmt{}}
	for _, p := range []struct {
		st  **sql.Stmt
		sql string
	}{{&w.begin, "BEGIN IMMEDIATE"}, {&w.commit, "COMMIT"}, {&w.rollback, "ROLLBACK"}} {
		if *p.st, err = c.PrepareContext(ctx, p.sql); err != nil {
			w.discard()
			return nil, err
		}
	}
	return w, nil
}

// stmt is query prepared on the connection (nil: run it unprepared).
func (w *writeConn) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := w.stmts[query]; ok {
		return st
	}
	st, err := w.c.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	w.stmts[query] = st
	return st
}

// discard closes the connection for good: database/sql drops a
// connection whose Raw call reports it bad, rather than pooling it.
func (w *writeConn) discard() {
	for _, st := range w.stmts {
		_ = st.Close()
	}
	for _, st := range []*sql.Stmt{w.begin, w.commit, w.rollback} {
		if st != nil {
			_ = st.Close()
		}
	}
	_ = w.c.Raw(func(any) error { return driver.ErrBadConn })
	_ = w.c.Close()
}

// close returns the connection to the pool (outside any transaction).
func (w *writeConn) close() {
	for _, st := range w.stmts {
		_ = st.Close()
	}
	for _, st := range []*sql.Stmt{w.begin, w.commit, w.rollback} {
		_ = st.Close()
	}
	_ = w.c.Close()
}

// storeTx runs fn in a transaction on the write connection (storeMu
// held), committing if it returns nil, and returns fn's txq. fn's
// statements run with ctx (the store path's is not cancellable: a
// cancellable one costs a watching goroutine per statement); BEGIN,
// COMMIT and ROLLBACK run without its cancellation, so an ended ctx
// fails fn, not the connection.
func (s *Service) storeTx(ctx context.Context, fn func(q *txq) error) (*txq, error) {
	tctx := context.WithoutCancel(ctx)
	w := s.wconn
	if w == nil && !s.plainTx {
		w, _ = openWriteConn(tctx, s.db.DB)
		s.wconn = w
	}
	if w == nil { // database/sql's transaction, on any connection of the pool
		var q *txq
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			q = s.txq(tx)
			return fn(q)
		})
		return q, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := w.begin.ExecContext(tctx); err != nil {
		s.dropWriteConn()
		return nil, fmt.Errorf("begin transaction: %w", err)
	}
	q := s.txqOn(w)
	if err := fn(q); err != nil {
		if _, rerr := w.rollback.ExecContext(tctx); rerr != nil && !s.autocommit(tctx) {
			s.dropWriteConn()
		}
		return nil, err
	}
	if _, err := w.commit.ExecContext(tctx); err != nil {
		if _, rerr := w.rollback.ExecContext(tctx); rerr != nil && !s.autocommit(tctx) {
			s.dropWriteConn()
		}
		return nil, fmt.Errorf("commit: %w", err)
	}
	return q, nil
}

// autocommit reports whether the write connection is outside any
// transaction (a failed statement can end one: SQLite rolls back by
// itself on some errors, and ROLLBACK then fails).
func (s *Service) autocommit(ctx context.Context) bool {
	if s.wconn == nil {
		return true
	}
	// BEGIN succeeds only outside a transaction.
	if _, err := s.wconn.begin.ExecContext(ctx); err != nil {
		return false
	}
	_, err := s.wconn.rollback.ExecContext(ctx)
	return err == nil
}

// dropWriteConn discards the write connection (storeMu held): the next
// transaction opens another.
func (s *Service) dropWriteConn() {
	if s.wconn != nil {
		s.wconn.discard()
		s.wconn = nil
	}
}

// closeWriteConn returns the write connection to the pool (at Close).
func (s *Service) closeWriteConn() {
	s.storeMu.Lock()
	defer s.storeMu.Unlock()
	if s.wconn != nil {
		s.wconn.close()
		s.wconn = nil
	}
}
