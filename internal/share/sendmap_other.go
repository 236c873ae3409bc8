//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package share

import (
	"hash"
	"io"
	"os"
)

// mappedMax is unused here: nothing is mapped.
const mappedMax = 0

// sendMapped maps nothing here: sendFile reads the file into buffers.
func sendMapped(io.Writer, *os.File, int64, int64, hash.Hash, func(int)) (int64, error, bool) {
	return 0, nil, false
}
