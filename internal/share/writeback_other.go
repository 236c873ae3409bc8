//go:build !linux

package share

import "os"

// startWriteback is a no-op where sync_file_range does not exist.
func startWriteback(*os.File, int64, int64) {}

// dataSync is fsync where fdatasync is not at hand.
func dataSync(f *os.File) error { return f.Sync() }
