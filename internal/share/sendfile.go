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
//
// The mapped pages a transfer touches count as the node's memory as the
// buffers do, so a file is mapped only when the memory the resource
// manager granted for the copy (shape) covers them: at most mappedMax
// bytes, or the whole range when it is shorter. A node short of memory
// (many transfers at once, or a member holding many stalled reads) gets
// small buffers and reads into them.
func sendFile(shape pipeShape, dst io.Writer, f *os.File, off, n int64, h hash.Hash, onChunk func(int)) (int64, error) {
	if int64(shape.bytes()) >= min(n, mappedMax) {
		if sent, err, ok := sendMapped(dst, f, off, n, h, onChunk); ok {
			return sent, err
		}
	}
	return copyShaped(shape, dst, io.NewSectionReader(f, off, n), h, onChunk)
}
