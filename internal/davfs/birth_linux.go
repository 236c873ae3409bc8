package davfs

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// DAV:creationdate comes from the birth time statx reports (STATX_BTIME);
// when the file system records none (tmpfs and ext4 on older kernels,
// NFS, most FUSE file systems) the time is zero and the property is left
// out rather than invented.

// birth is the creation time of r in the share (zero when unknown),
// through an O_PATH handle of the share's os.Root: no read right is
// needed, a pipe is not opened for reading, and a link is followed only
// inside the share.
func (s *localShare) birth(r string) time.Time {
	f, err := s.root.OpenFile(r, unix.O_PATH, 0)
	if err != nil {
		return time.Time{}
	}
	defer f.Close()
	return statxBirth(f, "", unix.AT_EMPTY_PATH)
}

// birthTimeAt is the creation time of name in the open folder d, not
// following a final symbolic link (links go through birth instead).
func birthTimeAt(d *os.File, name string) time.Time {
	return statxBirth(d, name, unix.AT_SYMLINK_NOFOLLOW)
}

func statxBirth(f *os.File, name string, flags int) time.Time {
	rc, err := f.SyscallConn()
	if err != nil {
		return time.Time{}
	}
	var st unix.Statx_t
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.Statx(int(fd), name, flags, unix.STATX_BTIME, &st)
	}); err != nil || serr != nil {
		return time.Time{}
	}
	if st.Mask&unix.STATX_BTIME == 0 || st.Btime.Sec == 0 && st.Btime.Nsec == 0 {
		return time.Time{}
	}
	return time.Unix(st.Btime.Sec, int64(st.Btime.Nsec))
}
