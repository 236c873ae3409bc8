//go:build !linux

package testutil

import "testing"

// Mount skips the test: mounting a tmpfs is Linux only.
func (o Tmpfs) Mount(t testing.TB) string {
	t.Helper()
	t.Skip("a tmpfs mounts on Linux only")
	return ""
}
