//go:build linux || openbsd || darwin || freebsd || netbsd

package share

import (
	"os"
	"syscall"
)

// versionOf reads the device, inode and times of fi (from stat(2)).
func versionOf(fi os.FileInfo) (fileVersion, bool) {
	if fi == nil {
		return fileVersion{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || !fi.Mode().IsRegular() {
		return fileVersion{}, false
	}
	return fileVersion{
		Dev:   uint64(st.Dev), //nolint:unconvert // int32 on darwin
		Ino:   uint64(st.Ino),
		Size:  fi.Size(),
		Mtime: fi.ModTime().UnixNano(),
		Ctime: ctimeOf(st),
	}, true
}
