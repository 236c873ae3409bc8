//go:build windows

package daemon

import (
	"os"

	"golang.org/x/sys/windows"
)

// lockOffset is where the locked byte lies: far past the PID written at
// the start of the file, because Windows keeps other processes from
// reading a locked range, and a refused `up` reads the PID to name it.
const lockOffset = 1 << 30

func lockFile(f *os.File) error {
	ol := windows.Overlapped{Offset: lockOffset}
	return windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
}

func unlockFile(f *os.File) error {
	ol := windows.Overlapped{Offset: lockOffset}
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, &ol)
}
