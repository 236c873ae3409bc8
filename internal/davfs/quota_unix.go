//go:build linux || darwin || freebsd

package davfs

import (
	"os"

	"golang.org/x/sys/unix"
)

// diskSpace returns the bytes an unprivileged user may still write on
// the file system holding f, and the bytes in use there.
func diskSpace(f *os.File) (available, used int64, err error) {
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil {
		return 0, 0, err
	}
	bs := int64(st.Bsize)
	return int64(st.Bavail) * bs, (int64(st.Blocks) - int64(st.Bfree)) * bs, nil
}
