package share

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing [off, off+n) of f to
// disk now, without waiting, so the fsync before the rename finds little
// left to do and the disk works while the network does.
func startWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}

// dataSync makes f's bytes (and its size) durable before the rename that
// publishes it: fdatasync skips the timestamps fsync would also write,
// which the rename and the mtime set after it change again anyway.
func dataSync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }
