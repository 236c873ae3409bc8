//go:build !unix

package main

import "time"

// cpuTime is not measured on this system (the bench runs on Linux).
func cpuTime() time.Duration { return 0 }
