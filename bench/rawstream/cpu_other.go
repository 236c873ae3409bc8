//go:build !unix

package main

// cpuSeconds is not measured on this system (the bench runs on Linux).
func cpuSeconds() float64 { return 0 }
