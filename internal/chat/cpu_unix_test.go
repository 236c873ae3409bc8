//go:build unix

package chat_test

import (
	"syscall"
	"time"
)

// processCPU is this process's user+system CPU time so far (a
// benchmark's CPU per op: BenchmarkSay waits on the disk and the other
// side, so its ns/op is mostly not CPU).
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
