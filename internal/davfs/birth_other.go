//go:build !linux

package davfs

import (
	"os"
	"time"
)

// Only Linux (statx) is asked for a file's birth time; elsewhere
// DAV:creationdate is left out.

func (s *localShare) birth(string) time.Time { return time.Time{} }

func birthTimeAt(*os.File, string) time.Time { return time.Time{} }
