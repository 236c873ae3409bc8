//go:build !unix

package spool

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
