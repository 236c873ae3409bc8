package share

import (
	"hash"
	"io"
	"sync"
)

// pipeBuffers is how many bufSize buffers one copy keeps in flight.
const pipeBuffers = 4

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// copyPipelined copies src to dst in bufSize chunks and feeds every chunk
// to h on another goroutine, so hashing overlaps the I/O instead of
// adding to it. onChunk (optional) sees each chunk's size after it is
// written. It returns the bytes written; h holds their hash once it
// returns.
func copyPipelined(dst io.Writer, src io.Reader, h hash.Hash, onChunk func(int)) (int64, error) {
	type chunk struct {
		b *[]byte
		n int
	}
	free := make(chan *[]byte, pipeBuffers)
	for range pipeBuffers {
		free <- bufPool.Get().(*[]byte)
	}
	work := make(chan chunk, pipeBuffers)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range work {
			h.Write((*c.b)[:c.n])
			free <- c.b
		}
	}()
	var total int64
	var err error
	for {
		b := <-free
		n, rerr := io.ReadFull(src, *b)
		if n > 0 {
			w, werr := dst.Write((*b)[:n])
			total += int64(w)
			if werr == nil && w < n {
				werr = io.ErrShortWrite
			}
			if werr != nil {
				free <- b
				err = werr
				break
			}
			work <- chunk{b, n}
			if onChunk != nil {
				onChunk(n)
			}
		} else {
			free <- b
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF { // the end (ReadFull's own sentinels)
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
	}
	close(work)
	<-done
	for range pipeBuffers {
		bufPool.Put(<-free)
	}
	return total, err
}

// errWriter remembers the error of its writer, to tell a failed write
// (local disk) from a failed read (network) after a copy.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}
