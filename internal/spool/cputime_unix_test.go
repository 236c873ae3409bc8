//go:build unix

package spool

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) of this process: both nodes
// of BenchmarkQueuedCopy, a figure the machine's load disturbs far less
// than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
