package share

import (
	"hash"
	"io"
	"os"
	"sync"

	"github.com/libp2p/go-libp2p/core/network"
)

// pipeBuffers is how many bufSize buffers one copy keeps in flight.
const pipeBuffers = 6

// A transfer served to a peer whose memory share is getting full runs
// with lowBuffers buffers of lowBufSize: it is slower, and a stalled
// reader pins only lowBuffers*lowBufSize bytes (see reserveBuffers).
const (
	lowBuffers = 2
	lowBufSize = 256 << 10
)

var (
	bufPool    = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}
	lowBufPool = sync.Pool{New: func() any { b := make([]byte, lowBufSize); return &b }}
)

// pipeShape is a copy's buffers: how many, and of which pool.
type pipeShape struct {
	n, size int
	pool    *sync.Pool
}

var (
	fullPipe = pipeShape{pipeBuffers, bufSize, &bufPool}
	lowPipe  = pipeShape{lowBuffers, lowBufSize, &lowBufPool}
)

// fit is the shape with no more buffers than a copy of n bytes fills.
func (p pipeShape) fit(n int64) pipeShape {
	if need := (n + int64(p.size) - 1) / int64(p.size); need < int64(p.n) {
		p.n = max(int(need), 1)
	}
	return p
}

// bytes is the memory the shape's buffers take.
func (p pipeShape) bytes() int { return p.n * p.size }

// copyShaped copies src to dst in chunks of shape's buffers with three
// stages on their own goroutines: reading src, writing dst, and hashing
// into h what was written. The stages overlap, so a copy costs about its
// slowest stage rather than the sum. onChunk (optional) sees each
// chunk's size after it is written. It returns the bytes written; h
// holds their hash once it returns (a nil h: no hashing). After a write
// error it stops reading at the next chunk. Callers fit the shape to the
// bytes they move (pipeShape.fit): a small file takes one buffer.
func copyShaped(shape pipeShape, dst io.Writer, src io.Reader, h hash.Hash, onChunk func(int)) (int64, error) {
	type chunk struct {
		b *[]byte
		n int
	}
	free := make(chan *[]byte, shape.n)
	for range shape.n {
		free <- shape.pool.Get().(*[]byte)
	}
	toWrite := make(chan chunk, shape.n)
	toHash := make(chan chunk, shape.n)
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
	for range shape.n {
		shape.pool.Put(<-free)
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

// reserveBuffers reserves the buffers of a transfer of n bytes in st's
// resource scope (its protocol and its peer count them too, see
// internal/p2p ProtoLimits): the full pipeline while the peer's scopes
// are at most half full, then the low one, each fitted to n (a small file
// reserves one buffer, so a folder's small files moving eight at a time
// all get the full shape); ok is false when even that is refused (the
// peer holds too many transfers already). The returned shape is fitted
// already. release gives the memory back (closing the stream does too).
func reserveBuffers(st network.Stream, n int64) (shape pipeShape, release func(), ok bool) {
	sc := st.Scope()
	for _, c := range []struct {
		shape pipeShape
		prio  uint8
	}{{fullPipe.fit(n), network.ReservationPriorityMedium}, {lowPipe.fit(n), network.ReservationPriorityHigh}} {
		if sc.ReserveMemory(c.shape.bytes(), c.prio) == nil {
			size := c.shape.bytes()
			return c.shape, func() { sc.ReleaseMemory(size) }, true
		}
	}
	return pipeShape{}, nil, false
}
