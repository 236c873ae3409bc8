package share

import (
	"io"

	"fmt"
	"github.com/libp2p/go-libp2p/core/network"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkReadDir10k lists a remote folder of 10,000 files over a real
// libp2p connection on loopback (goal: well under 0.2 s per listing).
func BenchmarkReadDir10k(b *testing.B) {
	e := newEnv(b)
	c := e.client("alice")
	for i := range 10000 {
		if err := os.WriteFile(filepath.Join(e.root, fmt.Sprintf("file-%05d.txt", i)), nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		es, err := c.ReadDir(e.ctx, "docs", ".")
		if err != nil || len(es) != 10000 {
			b.Fatalf("%d %v", len(es), err)
		}
	}
}

func benchTransfer(b *testing.B, put bool) {
	e := newEnv(b, Rule{"*", "rw"})
	c := e.client("alice")
	const size = 256 << 20
	data := randBytes(b, size)
	src := filepath.Join(b.TempDir(), "src.bin")
	os.WriteFile(src, data, 0o644)
	e.write("src.bin", data)
	dst := b.TempDir()
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		var err error
		if put {
			_, err = PutFile(e.ctx, c, src, "docs", fmt.Sprintf("dst%d.bin", i%2), TransferOptions{})
		} else {
			_, err = GetFile(e.ctx, c, "docs", "src.bin", filepath.Join(dst, fmt.Sprintf("dst%d.bin", i%2)), TransferOptions{})
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet and BenchmarkPut move a 256 MiB file between two hosts in
// this process (one machine's page cache; TCP+TLS+yamux on loopback).
func BenchmarkGet(b *testing.B) { benchTransfer(b, false) }
func BenchmarkPut(b *testing.B) { benchTransfer(b, true) }

// BenchmarkRawStream is the ceiling: one libp2p stream between the same
// two hosts, bytes written and discarded, no files and no hashing.
func BenchmarkRawStream(b *testing.B) {
	e := newEnv(b)
	c := e.client("alice")
	const size = 256 << 20
	e.srvHost.SetStreamHandler("/bench/raw", func(s network.Stream) {
		buf := make([]byte, bufSize)
		for {
			if _, err := s.Read(buf); err != nil {
				s.Close()
				return
			}
		}
	})
	buf := make([]byte, bufSize)
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		s, err := c.h.NewStream(e.ctx, e.srvHost.ID(), "/bench/raw")
		if err != nil {
			b.Fatal(err)
		}
		for sent := 0; sent < size; sent += len(buf) {
			if _, err := s.Write(buf); err != nil {
				b.Fatal(err)
			}
		}
		s.CloseWrite()
		io.Copy(io.Discard, s)
		s.Close()
	}
}
