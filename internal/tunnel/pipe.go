package tunnel

import (
	"bufio"
	"errors"
	"io"
	"net"
	"sync"

	"github.com/libp2p/go-libp2p/core/network"
)

// end is one side of a tunnel: a TCP connection or a tunnel stream.
type end interface {
	io.Reader
	io.Writer
	// CloseWrite sends EOF and keeps reading.
	CloseWrite() error
	// Close ends both directions.
	Close() error
	// Abort ends both directions at once, telling the other side it
	// was not a clean end (a stream reset).
	Abort()
}

// tcpEnd is a TCP connection as a tunnel end.
type tcpEnd struct{ *net.TCPConn }

func (t tcpEnd) Abort() { _ = t.SetLinger(0); _ = t.TCPConn.Close() }

// streamEnd is a /peerhood/tunnel/1 stream after its frames: reads go
// through the reader that read the frames, which may hold the first raw
// bytes.
type streamEnd struct {
	st network.Stream
	br *bufio.Reader
}

func (s streamEnd) Read(p []byte) (int, error)  { return s.br.Read(p) }
func (s streamEnd) Write(p []byte) (int, error) { return s.st.Write(p) }
func (s streamEnd) CloseWrite() error           { return s.st.CloseWrite() }
func (s streamEnd) Close() error                { return s.st.Close() }
func (s streamEnd) Abort()                      { _ = s.st.Reset() }

// copyBuf is the buffer size of one direction of a tunnel.
const copyBuf = 128 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, copyBuf); return &b }}

// pipe carries bytes both ways between a and b until both directions
// ended. A direction that reaches EOF half-closes its destination
// (CloseWrite) and the other direction goes on; a direction that fails
// aborts both ends, so the other direction's copy returns at once. It
// returns the bytes carried from a to b and from b to a, and the first
// error (nil after two clean EOFs). Both ends are closed when it returns.
func pipe(a, b end) (ab, ba int64, err error) {
	type result struct {
		n   int64
		err error
		dir int
	}
	res := make(chan result, 2)
	one := func(dst, src end, dir int) {
		bp := bufPool.Get().(*[]byte)
		n, err := io.CopyBuffer(writerOnly{dst}, readerOnly{src}, *bp)
		bufPool.Put(bp)
		if err == nil {
			if cerr := dst.CloseWrite(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
				err = cerr
			}
		}
		res <- result{n, err, dir}
	}
	go one(b, a, 0)
	go one(a, b, 1)
	for range 2 {
		r := <-res
		if r.dir == 0 {
			ab = r.n
		} else {
			ba = r.n
		}
		if r.err != nil && err == nil {
			err = r.err
			a.Abort()
			b.Abort()
		}
	}
	_ = a.Close()
	_ = b.Close()
	return ab, ba, err
}

// readerOnly and writerOnly hide ReadFrom/WriteTo, so CopyBuffer uses
// its buffer on every path (TCPConn.ReadFrom would otherwise copy
// through a small buffer of its own).
type readerOnly struct{ io.Reader }
type writerOnly struct{ io.Writer }
