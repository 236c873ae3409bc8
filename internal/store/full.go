package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"syscall"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrFull marks a database that could not be opened or written for want
// of disk space (IsFull reports it too).
var ErrFull = errors.New("disk full")

// IsFull reports whether err is a write refused for want of disk space:
// SQLite's SQLITE_FULL ("database or disk is full", its WAL or database
// file could not grow), a file system's ENOSPC or EDQUOT, or ErrFull.
// Nothing was stored; the same write succeeds once space is freed, with
// no restart.
func IsFull(err error) bool {
	if err == nil {
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL {
		return true
	}
	return errors.Is(err, ErrFull) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// lowSpace is the free space under which a failed open is blamed on the
// disk: SQLite reports a shared-memory file it cannot grow as a "disk
// I/O error" (SQLITE_IOERR_SHMSIZE), which reads like failing hardware.
const lowSpace = 1 << 20

// whyFailed adds to err (from opening the database at path) that the
// disk is full when it is (ErrFull), so the user frees space rather
// than suspecting the disk or the file.
func whyFailed(path string, err error) error {
	if IsFull(err) {
		return fmt.Errorf("%w (%w: free space on the disk of %s and start again)", err, ErrFull, filepath.Dir(path))
	}
	if free, ok := freeBytes(filepath.Dir(path)); ok && free < lowSpace {
		return fmt.Errorf("%w (%w: %d bytes free on the disk of %s; free space and start again)", err, ErrFull, free, filepath.Dir(path))
	}
	return err
}
