//go:build !linux

package main

import "os"

// datasync flushes f's data; fdatasync exists on Linux only.
func datasync(f *os.File) error { return f.Sync() }
