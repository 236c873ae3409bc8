package share

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/libp2p/go-libp2p/core/network"
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

// benchTransfer moves a 256 MiB file per iteration. warm keeps the
// remembered digests (the sender then does not hash); cold forgets them
// before each iteration, as for a file sent for the first time.
func benchTransfer(b *testing.B, put, warm bool) {
	e := newEnv(b, Rule{Who: "*", Right: "rw"})
	c := e.client("alice")
	const size = 256 << 20
	data := randBytes(b, size)
	src := filepath.Join(b.TempDir(), "src.bin")
	os.WriteFile(src, data, 0o644)
	e.write("src.bin", data)
	dst := b.TempDir()
	o := TransferOptions{Digests: NewDigests(e.db, nil)}
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if !warm {
			b.StopTimer()
			if _, err := e.db.ExecContext(context.Background(), "DELETE FROM file_digests"); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		var err error
		if put {
			_, err = PutFile(e.ctx, c, src, "docs", fmt.Sprintf("dst%d.bin", i%2), o)
		} else {
			_, err = GetFile(e.ctx, c, "docs", "src.bin", filepath.Join(dst, fmt.Sprintf("dst%d.bin", i%2)), o)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet and BenchmarkPut move a 256 MiB file between two hosts in
// this process (one machine's page cache; TCP+TLS+yamux on loopback).
// Cold: files sent for the first time; warm: sent again (digest known).
func BenchmarkGet(b *testing.B) {
	b.Run("cold", func(b *testing.B) { benchTransfer(b, false, false) })
	b.Run("warm", func(b *testing.B) { benchTransfer(b, false, true) })
}

func BenchmarkPut(b *testing.B) {
	b.Run("cold", func(b *testing.B) { benchTransfer(b, true, false) })
	b.Run("warm", func(b *testing.B) { benchTransfer(b, true, true) })
}

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
