//go:build !(linux || openbsd || darwin || freebsd || netbsd)

package share

import "os"

// versionOf: no stable inode and change time here, so no digest caching.
func versionOf(os.FileInfo) (fileVersion, bool) { return fileVersion{}, false }
