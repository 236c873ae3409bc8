//go:build !linux

package spool

import "os"

// startWriteback does nothing here (sync_file_range is Linux's).
func startWriteback(*os.File, int64, int64) {}
