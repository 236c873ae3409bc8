package share

import (
	"hash"
	"io"
	"os"
)

// sendFile sends n bytes of the local file f from off to dst (the
// stream, or its wrapper), hashing them into h when h is set, and
// returns the bytes written. Where the system maps files (sendmap_unix.go)
// the file's pages are handed to dst in place: the stream copies them
// into its frames once, where a pread would first copy them into a
// buffer (14-18% of a sending node's CPU). Anything that cannot be
// mapped (an empty file, a FIFO, a file system that refuses) goes
// through copyShaped's read/write/hash pipeline as before.
func sendFile(shape pipeShape, dst io.Writer, f *os.File, off, n int64, h hash.Hash, onChunk func(int)) (int64, error) {
	if sent, err, ok := sendMapped(dst, f, off, n, h, onChunk); ok {
		return sent, err
	}
	return copyShaped(shape, dst, io.NewSectionReader(f, off, n), h, onChunk)
}
