package testutil

import (
	"errors"
	"os"
	"syscall"
	"testing"
)

// Mount mounts the tmpfs at a fresh directory with a short path (a home
// on it holds Unix sockets) and returns the directory. It skips the test
// when the mount fails (it needs root). At cleanup it unmounts the tmpfs,
// lazily when it is still busy, and removes the directory; cleanups run
// last first, so whatever the test starts on it after this call has
// stopped by then.
func (o Tmpfs) Mount(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tmpfs-")
	if err != nil {
		t.Fatal(err)
	}
	data := "size=" + o.Size
	if o.Mode != "" {
		data += ",mode=" + o.Mode
	}
	var flags uintptr
	if o.ReadOnly {
		flags |= syscall.MS_RDONLY
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", flags, data); err != nil {
		os.Remove(dir)
		t.Skipf("cannot mount a tmpfs (%s; needs root): %v", data, err)
	}
	t.Cleanup(func() {
		err := syscall.Unmount(dir, 0)
		if errors.Is(err, syscall.EBUSY) {
			err = syscall.Unmount(dir, syscall.MNT_DETACH)
		}
		if err != nil {
			t.Errorf("unmount the test tmpfs %s: %v", dir, err)
			return
		}
		os.Remove(dir)
	})
	return dir
}
