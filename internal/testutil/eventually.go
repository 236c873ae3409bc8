package testutil

import (
	"testing"
	"time"
)

// Eventually calls f every 20 ms until it returns nil, and fails the test
// with f's last error when timeout passes first. It returns how long f
// took to succeed.
func Eventually(t testing.TB, timeout time.Duration, f func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var err error
	for time.Since(start) < timeout {
		if err = f(); err == nil {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("not within %s: %v", timeout, err)
	return 0
}
