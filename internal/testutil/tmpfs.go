package testutil

import "testing"

// Tmpfs describes a small tmpfs for a test that needs a real file system
// that fills up (or a read-only one).
type Tmpfs struct {
	Size     string // tmpfs's size= option: "64k", "1m", "24m"
	Mode     string // mode= of its root ("0700", a valid state folder); "" keeps tmpfs's 1777
	ReadOnly bool   // mount it read-only
}

// MountTmpfs mounts a tmpfs of size ("1m") at a fresh directory and
// returns the directory; see Tmpfs.Mount.
func MountTmpfs(t testing.TB, size string) string {
	t.Helper()
	return Tmpfs{Size: size}.Mount(t)
}
