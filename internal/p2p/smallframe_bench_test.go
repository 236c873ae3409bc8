package p2p

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	noise "github.com/libp2p/go-libp2p/p2p/security/noise"
)

// cpuNow is this process's CPU time (user + system).
func cpuNow(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSmallFrames moves chat-sized frames (300 bytes, each alone:
// the writer waits until the reader has it, as a room message to one
// member goes out 2 ms after the last) over one yamux stream on TCP
// loopback, secured by each security transport a node offers. It
// reports the CPU (both ends, getrusage) per frame: what a push frame
// costs the transport (docs/notes-s10-wire.md).
//
//	go test -run '^$' -bench SmallFrames -benchtime 20000x ./internal/p2p/
func BenchmarkSmallFrames(b *testing.B) {
	tlsT := func(k crypto.PrivKey) (secureTransport, error) { return newBatchTLS("/tls/1.0.0", k, nil) }
	for _, tc := range []struct {
		name string
		mk   func(crypto.PrivKey) (secureTransport, error)
		hop  bool // written by another goroutine, handed each frame over a channel
	}{
		{"tls", tlsT, false},
		{"noise", func(k crypto.PrivKey) (secureTransport, error) { return noise.New(noise.ID, k, nil) }, false},
		{"tls-hop", tlsT, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			w, r := smallFramePair(b, tc.mk)
			frame := make([]byte, 300)
			buf := make([]byte, 32<<10)
			got := make(chan struct{})
			go func() {
				for {
					if _, err := io.ReadFull(r, buf[:len(frame)]); err != nil {
						close(got)
						return
					}
					got <- struct{}{}
				}
			}()
			write := func() error { _, err := w.Write(frame); return err }
			if tc.hop {
				q, errs := make(chan struct{}, 64), make(chan error, 1)
				defer close(q)
				go func() {
					for range q {
						if _, err := w.Write(frame); err != nil {
							errs <- err
							return
						}
					}
				}()
				write = func() error {
					q <- struct{}{}
					return nil
				}
			}
			b.ResetTimer()
			start := cpuNow(b)
			for range b.N {
				if err := write(); err != nil {
					b.Fatal(err)
				}
				<-got
			}
			b.ReportMetric(float64((cpuNow(b)-start).Microseconds())/float64(b.N), "cpu-us/frame")
			b.StopTimer()
			_ = w.Close()
		})
	}
}

// smallFramePair connects two yamux sessions over TCP loopback secured
// by mk's transports and returns a stream's two ends.
func smallFramePair(b *testing.B, mk func(crypto.PrivKey) (secureTransport, error)) (w, r network.MuxedStream) {
	b.Helper()
	key := func() (secureTransport, peer.ID) {
		k, _, err := crypto.GenerateEd25519Key(rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		id, _ := peer.IDFromPrivateKey(k)
		t, err := mk(k)
		if err != nil {
			b.Fatal(err)
		}
		return t, id
	}
	srvT, srvID := key()
	cliT, _ := key()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	ctx := context.Background()
	type side struct {
		mc  network.MuxedConn
		err error
	}
	srv := make(chan side, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			srv <- side{err: err}
			return
		}
		sc, err := srvT.SecureInbound(ctx, c, "")
		if err != nil {
			srv <- side{err: err}
			return
		}
		mc, err := yamuxTransport().NewConn(sc, true, nil)
		srv <- side{mc, err}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	sc, err := cliT.SecureOutbound(ctx, c, srvID)
	if err != nil {
		b.Fatal(err)
	}
	cmc, err := yamuxTransport().NewConn(sc, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	s := <-srv
	if s.err != nil {
		b.Fatal(s.err)
	}
	b.Cleanup(func() { _ = cmc.Close(); _ = s.mc.Close() })
	if w, err = cmc.OpenStream(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := w.Write([]byte{0}); err != nil { // the SYN
		b.Fatal(err)
	}
	if r, err = s.mc.AcceptStream(); err != nil {
		b.Fatal(err)
	}
	if _, err := io.ReadFull(r, make([]byte, 1)); err != nil {
		b.Fatal(err)
	}
	return w, r
}
