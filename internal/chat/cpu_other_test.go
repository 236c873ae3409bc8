//go:build !unix

package chat_test

import "time"

// processCPU is 0 where getrusage is missing (the metric reads 0).
func processCPU() time.Duration { return 0 }
