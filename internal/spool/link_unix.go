//go:build unix

package spool

import (
	"os"

	"golang.org/x/sys/unix"
)

// linkInto makes a hard link named base in the open folder dir to the file
// at src, failing if base exists (of any kind).
func linkInto(src string, dir *os.File, base string) error {
	err := unix.Linkat(unix.AT_FDCWD, src, int(dir.Fd()), base, 0)
	if err != nil {
		return &os.LinkError{Op: "link", Old: src, New: base, Err: err}
	}
	return nil
}
