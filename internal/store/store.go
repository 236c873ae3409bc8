package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DB is the node's database.
type DB struct {
	*sql.DB
	Path string
}

// maxIdle is how many idle SQLite connections the pool keeps open.
const maxIdle = 16

// ErrCorrupt reports a database file that SQLite cannot use.
var ErrCorrupt = errors.New("database is corrupt or not a SQLite database")

// Open opens (creating if absent) the database at path and migrates it.
func Open(ctx context.Context, path string) (*DB, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("open database %s: is a directory", path)
	}
	// No journal_mode pragma in the DSN: switching a file to WAL writes its
	// header, and a file that fails the check below must stay untouched.
	// WAL is persistent, so it is set once, after the check.
	//
	// wal_autocheckpoint stays at SQLite's 1,000 pages: a checkpoint runs
	// inside the committing transaction, and s8-store2's 4,000 made each
	// one four times longer, a latency spike on chat's writer (8 members at
	// 500 msg/s: p99 35 -> 59-97 ms); chat checkpoints when idle besides.
	// journal_size_limit: the WAL file is cut back to 64 MB when it
	// restarts (one grown past it behind a long reader does not stay that
	// size).
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate" +
		"&_pragma=journal_size_limit(67108864)"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	// database/sql keeps 2 idle connections by default: concurrent readers
	// (gossip validators, history sync, the API) then open and close
	// SQLite connections all the time, each parsing its schema and
	// statements anew. Keep up to maxIdle open.
	sqldb.SetMaxIdleConns(maxIdle)
	db := &DB{DB: sqldb, Path: path}
	if err := db.check(ctx); err != nil {
		sqldb.Close()
		return nil, whyFailed(path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("database %s: set mode 0600: %w", path, err)
	}
	if err := db.migrate(ctx); err != nil {
		sqldb.Close()
		return nil, whyFailed(path, fmt.Errorf("database %s: %w", path, err))
	}
	return db, nil
}

func (db *DB) check(ctx context.Context) error {
	var res string
	err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res)
	if err != nil {
		if isCorruptErr(err) {
			return fmt.Errorf("database %s: %w (%v); move it aside to start afresh, peerhood will not overwrite it", db.Path, ErrCorrupt, err)
		}
		return fmt.Errorf("database %s: %w", db.Path, err)
	}
	if res != "ok" {
		first, _, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(res, "*** in database main ***")), "\n")
		return fmt.Errorf("database %s: %w (quick_check: %s); move it aside to start afresh, peerhood will not overwrite it", db.Path, ErrCorrupt, first)
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return fmt.Errorf("database %s: read journal mode: %w", db.Path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("database %s: journal mode is %q, want wal", db.Path, mode)
	}
	return nil
}

func isCorruptErr(err error) bool {
	s := err.Error()
	return strings.Contains(s, "not a database") || strings.Contains(s, "malformed") ||
		strings.Contains(s, "corrupt") || strings.Contains(s, "SQLITE_NOTADB") || strings.Contains(s, "SQLITE_CORRUPT")
}

// Tx runs fn in a transaction, committing if it returns nil.
func (db *DB) Tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
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
