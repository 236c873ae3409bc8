package share

import (
	"hash"
	"io"
	"os"
	"sync"
)

// pipeBuffers is how many bufSize buffers one copy keeps in flight.
const pipeBuffers = 6

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// copyPipelined copies src to dst in bufSize chunks with three stages on
// their own goroutines: reading src, writing dst, and hashing into h what
// was written. The stages overlap, so a copy costs about its slowest
// stage rather than the sum. onChunk (optional) sees each chunk's size
// after it is written. It returns the bytes written; h holds their hash
// once it returns (a nil h: no hashing). After a write error it stops
// reading at the next chunk.
func copyPipelined(dst io.Writer, src io.Reader, h hash.Hash, onChunk func(int)) (int64, error) {
	type chunk struct {
		b *[]byte
		n int
	}
	free := make(chan *[]byte, pipeBuffers)
	for range pipeBuffers {
		free <- bufPool.Get().(*[]byte)
	}
	toWrite := make(chan chunk, pipeBuffers)
	toHash := make(chan chunk, pipeBuffers)
	stop := make(chan struct{})
	done := make(chan struct{})
	var total int64
	var werr error
	go func() { // writer
		defer close(toHash)
		for c := range toWrite {
			if werr == nil {
				w, err := dst.Write((*c.b)[:c.n])
				total += int64(w)
				if err == nil && w < c.n {
					err = io.ErrShortWrite
				}
				if err != nil {
					werr = err
					close(stop)
				} else if onChunk != nil {
					onChunk(c.n)
				}
			}
			if werr != nil {
				c.n = 0
			}
			toHash <- c
		}
	}()
	go func() { // hasher
		defer close(done)
		for c := range toHash {
			if c.n > 0 && h != nil {
				h.Write((*c.b)[:c.n])
			}
			free <- c.b
		}
	}()
	var rerr error
read:
	for {
		var b *[]byte
		select {
		case b = <-free:
		case <-stop:
			break read
		}
		n, err := io.ReadFull(src, *b)
		if n > 0 {
			toWrite <- chunk{b, n}
		} else {
			free <- b
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF { // the end (ReadFull's own sentinels)
			break
		}
		if err != nil {
			rerr = err
			break
		}
	}
	close(toWrite)
	<-done
	for range pipeBuffers {
		bufPool.Put(<-free)
	}
	if werr != nil {
		return total, werr
	}
	return total, rerr
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
