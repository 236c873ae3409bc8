package tunnel

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
)

// sink reads to EOF, then answers one byte and closes.
func sink(c io.ReadWriteCloser, closeWrite func() error) {
	defer c.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := c.Read(buf); err != nil {
			break
		}
	}
	c.Write([]byte{1})
	if closeWrite != nil {
		closeWrite()
	}
}

// send writes n bytes to c, half-closes, and waits for the one-byte answer.
func send(b *testing.B, c io.ReadWriter, closeWrite func() error, buf []byte, n int) {
	for sent := 0; sent < n; sent += len(buf) {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := closeWrite(); err != nil {
		b.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkThroughput sends 64 MiB per op, for each size of a bulk
// direction's buffer (bigBuf), over three paths in the same run: a direct loopback TCP connection to the target, a bare libp2p
// stream between the two hosts, and a forward (TCP -> stream -> TCP),
// and reports each one's MB/s, the ratios, and the CPU seconds per GiB
// this process (both hosts, sender and sink) spent on each path, which
// stays meaningful on a busy machine.
func BenchmarkThroughput(b *testing.B) {
	for _, kib := range []int{128, 256, 512, 1024} {
		b.Run(fmt.Sprintf("bigbuf=%dKiB", kib), func(b *testing.B) {
			old := bigBuf
			bigBuf, bigPool = kib<<10, sync.Pool{New: func() any { b := make([]byte, kib<<10); return &b }}
			defer func() { bigBuf, bigPool = old, sync.Pool{New: func() any { b := make([]byte, old); return &b }} }()
			benchThroughput(b)
		})
	}
}

func benchThroughput(b *testing.B) {
	const size = 64 << 20
	alpha, bravo := newNode(b, "alpha"), newNode(b, "bravo")
	link(alpha, bravo)
	tg := newTarget(b, func(c *net.TCPConn) { sink(c, c.CloseWrite) })
	alpha.offer(b, "sink", tg.addr(), "*=use")
	alpha.h.SetStreamHandler("/bench/sink", func(s network.Stream) { sink(s, s.CloseWrite) })
	f, err := bravo.forward(b, "alpha", "sink")
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	var direct, bare, fwd time.Duration
	var cDirect, cBare, cFwd float64 // CPU-s of this process (both nodes, sender, sink)
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		c0 := cpuSeconds()
		t0 := time.Now()
		c, err := net.Dial("tcp", tg.addr())
		if err != nil {
			b.Fatal(err)
		}
		send(b, c, c.(*net.TCPConn).CloseWrite, buf, size)
		c.Close()
		t1, c1 := time.Now(), cpuSeconds()
		s, err := bravo.h.NewStream(context.Background(), alpha.h.ID(), "/bench/sink")
		if err != nil {
			b.Fatal(err)
		}
		send(b, s, s.CloseWrite, buf, size)
		s.Close()
		t2, c2 := time.Now(), cpuSeconds()
		c, err = net.Dial("tcp", f.Local)
		if err != nil {
			b.Fatal(err)
		}
		send(b, c, c.(*net.TCPConn).CloseWrite, buf, size)
		c.Close()
		t3, c3 := time.Now(), cpuSeconds()
		direct, bare, fwd = direct+t1.Sub(t0), bare+t2.Sub(t1), fwd+t3.Sub(t2)
		cDirect, cBare, cFwd = cDirect+c1-c0, cBare+c2-c1, cFwd+c3-c2
	}
	gib := float64(size) * float64(b.N) / (1 << 30)
	b.ReportMetric(cDirect/gib, "direct-CPUs/GiB")
	b.ReportMetric(cBare/gib, "stream-CPUs/GiB")
	b.ReportMetric(cFwd/gib, "forward-CPUs/GiB")
	mbps := func(d time.Duration) float64 { return float64(size) * float64(b.N) / d.Seconds() / 1e6 }
	b.ReportMetric(mbps(direct), "direct-MB/s")
	b.ReportMetric(mbps(bare), "stream-MB/s")
	b.ReportMetric(mbps(fwd), "forward-MB/s")
	b.ReportMetric(mbps(fwd)/mbps(bare), "forward/stream")
	b.ReportMetric(mbps(fwd)/mbps(direct), "forward/direct")
}

// BenchmarkSetup measures connect-to-first-byte (connect, send one byte,
// read its echo) directly and through a forward.
func BenchmarkSetup(b *testing.B) {
	for _, early := range []bool{true, false} {
		b.Run(fmt.Sprintf("early=%v", early), func(b *testing.B) {
			noEarlyData = !early
			defer func() { noEarlyData = false }()
			benchSetup(b)
		})
	}
}

func benchSetup(b *testing.B) {
	alpha, bravo := newNode(b, "alpha"), newNode(b, "bravo")
	link(alpha, bravo)
	tg := newTarget(b, echo)
	alpha.offer(b, "echo", tg.addr(), "*=use")
	f, err := bravo.forward(b, "alpha", "echo")
	if err != nil {
		b.Fatal(err)
	}
	one := func(addr string) time.Duration {
		t0 := time.Now()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte{1})
		if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	var direct, fwd time.Duration
	b.ResetTimer()
	for b.Loop() {
		direct += one(tg.addr())
		fwd += one(f.Local)
	}
	n := float64(b.N)
	b.ReportMetric(float64(direct.Microseconds())/n, "direct-µs")
	b.ReportMetric(float64(fwd.Microseconds())/n, "forward-µs")
	b.ReportMetric(float64((fwd-direct).Microseconds())/n, "added-µs")
}
