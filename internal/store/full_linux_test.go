//go:build linux

package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/peerhood/peerhood/internal/testutil"
)

// IsFull knows a full disk from SQLite (a real SQLITE_FULL, on a small
// tmpfs) and from the file system, and nothing else.
func TestIsFull(t *testing.T) {
	dir := testutil.MountTmpfs(t, "4m")
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE fill(x BLOB)`); err != nil {
		t.Fatal(err)
	}
	var full error
	for i := 0; i < 1000 && full == nil; i++ {
		_, full = db.ExecContext(ctx, `INSERT INTO fill VALUES(randomblob(65536))`)
	}
	if full == nil {
		t.Fatal("64 MB into a 4 MB file system, no error")
	}
	pathErr := &fs.PathError{Op: "write", Path: "f", Err: syscall.ENOSPC}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"SQLite's own", full, true},
		{"SQLite's, wrapped", fmt.Errorf("chat: send: %w", full), true},
		{"ENOSPC", fmt.Errorf("write: %w", pathErr), true},
		{"EDQUOT", syscall.EDQUOT, true},
		{"ErrFull", fmt.Errorf("x: %w", ErrFull), true},
		{"another error", errors.New("database is locked"), false},
		{"EIO", syscall.EIO, false},
		{"nil", nil, false},
	} {
		if got := IsFull(c.err); got != c.want {
			t.Errorf("%s (%v): IsFull %v, want %v", c.name, c.err, got, c.want)
		}
	}
	if !strings.Contains(full.Error(), "full") {
		t.Errorf("SQLite's full error: %v", full)
	}
}
