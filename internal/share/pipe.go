package share

import (
	"hash"
	"io"
	"os"
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

// writebackEvery is how many written bytes trigger startWriteback.
const writebackEvery = 16 << 20

// fileWriter writes a received file at its current offset and starts
// the disk writeback every writebackEvery bytes.
type fileWriter struct {
	f       *os.File
	off     int64 // file offset of the next write
	flushed int64 // writeback started up to here
	err     error
}

func (w *fileWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if err != nil {
		w.err = err
		return n, err
	}
	if w.off-w.flushed >= writebackEvery {
		startWriteback(w.f, w.flushed, w.off-w.flushed)
		w.flushed = w.off
	}
	return n, nil
}
