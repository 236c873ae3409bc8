package tunnel

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

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
	// SetReadDeadline bounds the next reads (the idle timeout).
	SetReadDeadline(time.Time) error
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
func (s streamEnd) SetReadDeadline(t time.Time) error {
	return s.st.SetReadDeadline(t)
}

// A direction of a tunnel starts with a small buffer and moves to a big
// one the first time a read fills the small one: an idle or interactive
// connection (ssh, a printer waiting) holds 16 KiB per direction, a bulk
// transfer gets bigBuf (larger reads and writes, fewer yamux frames and
// syscalls per byte).
var (
	smallBuf = 16 << 10
	bigBuf   = 256 << 10
)

var (
	smallPool = sync.Pool{New: func() any { b := make([]byte, smallBuf); return &b }}
	bigPool   = sync.Pool{New: func() any { b := make([]byte, bigBuf); return &b }}
)

// ErrIdle ends a tunnel that carried no byte either way for the idle
// timeout.
var ErrIdle = errors.New("tunnel idle for too long")

// pipe carries bytes both ways between a and b until both directions
// ended, or (idle > 0) until no byte moved either way for idle. A direction that reaches EOF half-closes its destination
// (CloseWrite) and the other direction goes on; a direction that fails
// aborts both ends, so the other direction's copy returns at once. It
// returns the bytes carried from a to b and from b to a, and the first
// error (nil after two clean EOFs). Both ends are closed when it returns.
func pipe(a, b end, idle time.Duration) (ab, ba int64, err error) {
	type result struct {
		n   int64
		err error
		dir int
	}
	res := make(chan result, 2)
	var last atomic.Int64 // unix nanoseconds of the last byte either way
	last.Store(time.Now().UnixNano())
	one := func(dst, src end, dir int) {
		n, err := copyIdle(dst, src, idle, &last)
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

// copyIdle copies src to dst until EOF (nil) or an error. With idle > 0
// each read waits at most idle; a read that times out ends the copy with
// ErrIdle unless the other direction moved bytes meanwhile (last).
func copyIdle(dst, src end, idle time.Duration, last *atomic.Int64) (int64, error) {
	bp, pool := smallPool.Get().(*[]byte), &smallPool
	defer func() { pool.Put(bp) }()
	buf := *bp
	var written int64
	for {
		if idle > 0 {
			_ = src.SetReadDeadline(time.Now().Add(idle))
		}
		n, rerr := src.Read(buf)
		if n > 0 {
			if idle > 0 {
				last.Store(time.Now().UnixNano())
			}
			w, werr := dst.Write(buf[:n])
			written += int64(w)
			if werr != nil {
				return written, werr
			}
			if n == len(buf) && pool == &smallPool { // bulk: take the big buffer
				pool.Put(bp)
				bp, pool = bigPool.Get().(*[]byte), &bigPool
				buf = *bp
			}
		}
		switch {
		case rerr == nil:
		case errors.Is(rerr, io.EOF):
			return written, nil
		case idle > 0 && isTimeout(rerr):
			if time.Since(time.Unix(0, last.Load())) >= idle {
				return written, ErrIdle
			}
		default:
			return written, rerr
		}
	}
}

// isTimeout reports a read deadline that passed (TCP, yamux or QUIC).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
