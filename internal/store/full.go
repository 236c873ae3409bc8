package store

import (
	"errors"
	"syscall"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// IsFull reports whether err is a write refused for want of disk space:
// SQLite's SQLITE_FULL ("database or disk is full", its WAL or database
// file could not grow), or a file system's ENOSPC or EDQUOT. Nothing was
// stored; the same write succeeds once space is freed, with no restart.
func IsFull(err error) bool {
	if err == nil {
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL {
		return true
	}
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
