package p2p

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/sec"
	libp2ptls "github.com/libp2p/go-libp2p/p2p/security/tls"
)

// countConn counts the writes made to a connection.
type countConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

type secureTransport interface {
	SecureInbound(context.Context, net.Conn, peer.ID) (sec.SecureConn, error)
	SecureOutbound(context.Context, net.Conn, peer.ID) (sec.SecureConn, error)
}

func newTLSPair(t *testing.T, batchServer, batchClient bool) (srvT, cliT secureTransport, cliID peer.ID) {
	t.Helper()
	mk := func(batch bool) (secureTransport, peer.ID) {
		k, _, err := crypto.GenerateEd25519Key(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := peer.IDFromPrivateKey(k)
		if batch {
			tr, err := newBatchTLS(libp2ptls.ID, k, nil)
			if err != nil {
				t.Fatal(err)
			}
			return tr, id
		}
		tr, err := libp2ptls.New(libp2ptls.ID, k, nil)
		if err != nil {
			t.Fatal(err)
		}
		return tr, id
	}
	srvT, srvID := mk(batchServer)
	cliT, cliID = mk(batchClient)
	_ = srvID
	return srvT, cliT, cliID
}

// tlsPair connects a client and a server over loopback TCP. wrap, when
// set, wraps the server's TCP connection before TLS.
func tlsPair(t *testing.T, batchServer, batchClient bool, wrap func(net.Conn) net.Conn) (srv, cli sec.SecureConn) {
	t.Helper()
	srvT, cliT, _ := newTLSPair(t, batchServer, batchClient)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type res struct {
		c   sec.SecureConn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			ch <- res{nil, err}
			return
		}
		if wrap != nil {
			c = wrap(c)
		}
		sc, err := srvT.SecureInbound(ctx, c, "")
		ch <- res{sc, err}
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cli, err = cliT.SecureOutbound(ctx, raw, "")
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { _ = cli.Close(); _ = r.c.Close() })
	return r.c, cli
}

// TestBatchTLSWritesPerCall: one Write of a yamux frame (256 KiB) goes
// to the socket in one write, where libp2p's TLS makes one per 16 KiB
// record; bytes arrive intact at a stock TLS peer.
func TestBatchTLSWritesPerCall(t *testing.T) {
	cases := []struct {
		name       string
		size       int
		batch      bool
		fresh      bool // at the connection's start (small records)
		wantWrites int64
	}{
		{"yamux frame at the start", 64 << 10, true, true, 1},
		{"yamux frame at the start, stock TLS", 64 << 10, false, true, 5},
		{"small", 100, true, false, 1},
		{"one record, stock TLS", 16 << 10, false, false, 1},
		{"one record", 16 << 10, true, false, 1},
		{"yamux frame", YamuxMessage, true, false, 1},
		{"yamux frame, stock TLS", YamuxMessage, false, false, YamuxMessage / (16 << 10)},
		{"larger than a batch", 700 << 10, true, false, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cc *countConn
			srv, cli := tlsPair(t, tc.batch, false, func(c net.Conn) net.Conn { cc = &countConn{Conn: c}; return cc })
			// Past tls.Conn's small records of a connection's start.
			if !tc.fresh && !exchange(t, srv, cli, 256<<10) {
				t.Fatal("bytes differ")
			}
			msg := make([]byte, tc.size)
			_, _ = rand.Read(msg)
			before := cc.writes.Load()
			go func() { _, _ = srv.Write(msg) }()
			got := make([]byte, tc.size)
			if _, err := io.ReadFull(cli, got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, msg) {
				t.Fatal("bytes differ")
			}
			// Stock TLS: at least wantWrites (its small records at the
			// start depend on Go's dynamic record sizing).
			if n := cc.writes.Load() - before; n != tc.wantWrites && (tc.batch || n < tc.wantWrites) {
				t.Errorf("%d writes to the socket for one Write of %d bytes, want %d", n, tc.size, tc.wantWrites)
			}
		})
	}
}

// TestBatchTLSInterop: a batching end and a stock libp2p TLS end (either
// way round) carry 8 MiB each way, in writes of many sizes, intact:
// the wire format is libp2p's.
func TestBatchTLSInterop(t *testing.T) {
	for _, tc := range []struct {
		name          string
		server, clint bool
	}{{"batch server, stock client", true, false}, {"stock server, batch client", false, true}, {"both batch", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			srv, cli := tlsPair(t, tc.server, tc.clint, nil)
			a := exchange(t, srv, cli, 8<<20)
			b := exchange(t, cli, srv, 8<<20)
			if !a || !b {
				t.Fatal("bytes differ")
			}
		})
	}
}

// exchange writes n random bytes from w in varied sizes and reads them
// at r in varied sizes, reporting whether they arrived intact.
func exchange(t *testing.T, w, r net.Conn, n int) bool {
	t.Helper()
	msg := make([]byte, n)
	_, _ = rand.Read(msg)
	errc := make(chan error, 1)
	go func() {
		sizes := []int{1, 12, 16 << 10, 64<<10 + 12, 200 << 10, 1 << 20, 7}
		for off, i := 0, 0; off < n; i++ {
			k := min(sizes[i%len(sizes)], n-off)
			if _, err := w.Write(msg[off : off+k]); err != nil {
				errc <- err
				return
			}
			off += k
		}
		errc <- nil
	}()
	got := make([]byte, 0, n)
	buf := make([]byte, 300<<10)
	for i := 0; len(got) < n; i++ {
		k, err := r.Read(buf[:1+(i*7919)%len(buf)])
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:k]...)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(got, msg)
}

// TestBatchTLSIdleHoldsNoBuffer: after a bulk transfer (reads in bulk
// mode), a connection waiting for more bytes holds no pooled buffer,
// and a read deadline still ends its wait.
func TestBatchTLSIdleHoldsNoBuffer(t *testing.T) {
	srv, cli := tlsPair(t, true, true, nil)
	if !exchange(t, cli, srv, 4<<20) {
		t.Fatal("bytes differ")
	}
	raw := srv.(*batchSecureConn).raw
	if raw.aheads == 0 {
		t.Fatal("4 MiB read without ever entering bulk mode: the read-ahead path was not taken")
	}
	raw.bulk = true // as if the last read had found the socket full
	_ = srv.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	done := make(chan error, 1)
	go func() { _, err := srv.Read(make([]byte, 100)); done <- err }()
	time.Sleep(50 * time.Millisecond)
	if n := raw.held.Load(); n != 0 {
		t.Errorf("%d pooled buffers held by an idle connection", n)
	}
	if err := <-done; !isTimeoutErr(err) {
		t.Fatalf("read on an idle connection past its deadline: %v, want a timeout", err)
	}
}

func isTimeoutErr(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestBatchTLSConcurrentWriters: two goroutines writing at once (each
// Write's records stay together, as with tls.Conn) lose no byte and
// keep each message whole.
func TestBatchTLSConcurrentWriters(t *testing.T) {
	srv, cli := tlsPair(t, true, false, nil)
	const msgs, size = 40, 100 << 10
	errc := make(chan error, 2)
	for g := range 2 {
		go func() {
			for i := range msgs {
				if _, err := srv.Write(bytes.Repeat([]byte{byte(g*msgs + i)}, size)); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
	}
	seen := map[byte]bool{}
	buf := make([]byte, size)
	for range 2 * msgs {
		if _, err := io.ReadFull(cli, buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf, bytes.Repeat(buf[:1], size)) || seen[buf[0]] {
			t.Fatalf("message %d torn or repeated", buf[0])
		}
		seen[buf[0]] = true
	}
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}
