package p2p

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/core/sec"
	tptu "github.com/libp2p/go-libp2p/p2p/net/upgrader"
	libp2ptls "github.com/libp2p/go-libp2p/p2p/security/tls"
)

// batchTLS is libp2p's TLS security transport (same protocol, same
// bytes on the wire) with fewer syscalls per byte:
//
//   - writes: Go's tls.Conn writes each record (at most 16 KiB of
//     plaintext, ~1.2 KiB during a connection's first 128 KiB) with its
//     own write syscall, so one 64 KiB yamux frame cost four. Here the
//     records of one Write are gathered and written at once (one
//     syscall per yamux frame);
//   - reads: tls.Conn reads about one record per read syscall. After a
//     read that found the socket full, the next reads take up to
//     readAhead bytes at once into a pooled buffer, taken only once the
//     socket is readable (an idle connection holds no buffer).
//
// Buffers are pooled and held only while a write is under way or read
// bytes wait for TLS: an idle connection holds none.
type batchTLS struct{ *libp2ptls.Transport }

var _ sec.SecureTransport = (*batchTLS)(nil)

// newBatchTLS is libp2p.Security's constructor for batchTLS.
func newBatchTLS(id protocol.ID, key crypto.PrivKey, muxers []tptu.StreamMuxer) (*batchTLS, error) {
	t, err := libp2ptls.New(id, key, muxers)
	if err != nil {
		return nil, err
	}
	return &batchTLS{t}, nil
}

// SecureInbound runs the TLS handshake as a server over a batching conn.
func (t *batchTLS) SecureInbound(ctx context.Context, insecure net.Conn, p peer.ID) (sec.SecureConn, error) {
	raw := newBatchConn(insecure)
	sc, err := t.Transport.SecureInbound(ctx, raw, p)
	if err != nil {
		return nil, err
	}
	return &batchSecureConn{SecureConn: sc, raw: raw}, nil
}

// SecureOutbound runs the TLS handshake as a client over a batching conn.
func (t *batchTLS) SecureOutbound(ctx context.Context, insecure net.Conn, p peer.ID) (sec.SecureConn, error) {
	raw := newBatchConn(insecure)
	sc, err := t.Transport.SecureOutbound(ctx, raw, p)
	if err != nil {
		return nil, err
	}
	return &batchSecureConn{SecureConn: sc, raw: raw}, nil
}

// batchSecureConn is a TLS connection whose Write sends all the records
// it makes in one write to the socket.
type batchSecureConn struct {
	sec.SecureConn
	raw *batchConn
}

func (c *batchSecureConn) Write(p []byte) (int, error) {
	if len(p) <= minBatch {
		return c.SecureConn.Write(p) // one record: nothing to gather
	}
	c.raw.begin()
	n, err := c.SecureConn.Write(p)
	if ferr := c.raw.flush(); ferr != nil && err == nil {
		return 0, ferr
	}
	return n, err
}

const (
	// minBatch is the largest write sent as is: it always fits one
	// record (tls.Conn's smallest, while it sizes records dynamically
	// during the first 128 KiB of a connection, carries ~1.2 KiB).
	minBatch = 1 << 10
	// writeBatch is the most bytes gathered before a write: a yamux
	// frame (YamuxMessage) in TLS records (22 bytes each of overhead)
	// fits.
	writeBatch = YamuxMessage + 64<<10
	// readAhead is the most bytes one read syscall takes in bulk mode.
	readAhead = 256 << 10
)

var batchPool = sync.Pool{New: func() any { b := make([]byte, 0, writeBatch); return &b }}

// batchConn is the TCP connection under TLS.
type batchConn struct {
	net.Conn
	rc syscall.RawConn // nil when the conn has no file descriptor (tests): reads go straight through

	wmu   sync.Mutex
	depth int     // batches open
	wbuf  *[]byte // bytes gathered (nil: none yet), from batchPool

	// Reads: tls.Conn reads under its own lock, one at a time.
	rbuf       *[]byte
	rpos, rend int
	bulk       bool
	aheads     int          // reads made in bulk mode (tests)
	held       atomic.Int32 // read buffers taken from the pool (tests)
}

func newBatchConn(c net.Conn) *batchConn {
	b := &batchConn{Conn: c}
	if sc, ok := c.(syscall.Conn); ok && readAheadOK {
		if rc, err := sc.SyscallConn(); err == nil {
			b.rc = rc
		}
	}
	return b
}

// begin opens a batch: writes are gathered until flush. Batches may
// nest (two goroutines writing at once: yamux has one writer, but
// nothing forbids more); the gathered bytes go out when the last ends.
func (c *batchConn) begin() {
	c.wmu.Lock()
	c.depth++
	c.wmu.Unlock()
}

// flush ends a batch; the last one open writes what was gathered.
func (c *batchConn) flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.depth--; c.depth > 0 {
		return nil
	}
	return c.writeOut()
}

// writeOut writes the gathered bytes (wmu held) and returns the buffer
// to the pool.
func (c *batchConn) writeOut() error {
	bp := c.wbuf
	if bp == nil {
		return nil
	}
	var err error
	if len(*bp) > 0 {
		_, err = c.Conn.Write(*bp)
	}
	*bp = (*bp)[:0]
	batchPool.Put(bp)
	c.wbuf = nil
	return err
}

// Write gathers p while a batch is open, else writes it. tls.Conn
// writes under its own lock, so the bytes keep their order.
func (c *batchConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.depth == 0 {
		return c.Conn.Write(p)
	}
	if c.wbuf != nil && len(*c.wbuf)+len(p) > cap(*c.wbuf) {
		if err := c.writeOut(); err != nil {
			return 0, err
		}
	}
	if len(p) >= writeBatch {
		return c.Conn.Write(p)
	}
	if c.wbuf == nil {
		c.wbuf = batchPool.Get().(*[]byte)
	}
	*c.wbuf = append(*c.wbuf, p...)
	return len(p), nil
}

// Read hands out read-ahead bytes first; in bulk mode (the last read
// filled what it was given) it reads up to readAhead bytes at once.
func (c *batchConn) Read(p []byte) (int, error) {
	if c.rbuf != nil {
		n := copy(p, (*c.rbuf)[c.rpos:c.rend])
		c.rpos += n
		if c.rpos == c.rend {
			c.putRead(c.rbuf)
			c.rbuf = nil
		}
		return n, nil
	}
	if !c.bulk || c.rc == nil || len(p) >= readAhead {
		n, err := c.Conn.Read(p)
		c.bulk = err == nil && n == len(p)
		return n, err
	}
	var (
		bp  *[]byte
		n   int
		err error
	)
	// The buffer is taken only once the socket is readable: a
	// connection that goes idle waits without one.
	c.aheads++
	rerr := c.rc.Read(func(fd uintptr) bool {
		bp = batchPool.Get().(*[]byte)
		c.held.Add(1)
		var again bool
		n, again, err = readFD(fd, (*bp)[:readAhead])
		if again {
			c.putRead(bp)
			bp = nil
			return false
		}
		return true
	})
	if rerr != nil {
		return 0, rerr // closed, or the read deadline passed
	}
	if err != nil {
		c.putRead(bp)
		c.bulk = false
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
	}
	if n == 0 {
		c.putRead(bp)
		c.bulk = false
		return 0, io.EOF
	}
	// Stay in bulk mode while reads find plenty waiting.
	c.bulk = n >= readAhead/4
	k := copy(p, (*bp)[:n])
	if k == n {
		c.putRead(bp)
		return k, nil
	}
	c.rbuf, c.rpos, c.rend = bp, k, n
	return k, nil
}

func (c *batchConn) putRead(bp *[]byte) {
	c.held.Add(-1)
	batchPool.Put(bp)
}
