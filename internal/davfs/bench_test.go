package davfs

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/share"
)

// benchServer serves dir as /bench/files/ on a real loopback listener.
func benchServer(b *testing.B, dir string) *Server {
	b.Helper()
	lb := NewLocalBackend("bench")
	b.Cleanup(func() { lb.Close() })
	must(b, lb.Add("files", dir, false))
	s, err := Listen("127.0.0.1:0", lb, testToken, nil)
	must(b, err)
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkPropfind10k: PROPFIND Depth 1 (allprop) of a folder of 10,000
// files, the whole 207 reply read by the client.
func BenchmarkPropfind10k(b *testing.B) {
	dir := b.TempDir()
	for i := 0; i < 10000; i++ {
		must(b, os.WriteFile(filepath.Join(dir, fmt.Sprintf("file-%05d.txt", i)), []byte("x"), 0o644))
	}
	s := benchServer(b, dir)
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest("PROPFIND", s.URL()+"bench/files/", nil)
		req.SetBasicAuth(User, testToken)
		req.Header.Set("Depth", "1")
		resp, err := http.DefaultClient.Do(req)
		must(b, err)
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 207 || n < 10000*200 {
			b.Fatalf("PROPFIND = %d, %d bytes", resp.StatusCode, n)
		}
	}
}

// BenchmarkGet1GiB: one GET of a 1 GiB file over loopback HTTP
// (PEERHOOD_BENCH_MB changes the size).
func BenchmarkGet1GiB(b *testing.B) {
	size := int64(1 << 30)
	if v, err := strconv.Atoi(os.Getenv("PEERHOOD_BENCH_MB")); err == nil && v > 0 {
		size = int64(v) << 20
	}
	dir := b.TempDir()
	f, err := os.Create(filepath.Join(dir, "big.bin"))
	must(b, err)
	buf := make([]byte, 4<<20)
	_, _ = rand.Read(buf)
	for w := int64(0); w < size; w += int64(len(buf)) {
		_, err := f.Write(buf[:min(int64(len(buf)), size-w)])
		must(b, err)
	}
	must(b, f.Close())
	s := benchServer(b, dir)
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest("GET", s.URL()+"bench/files/big.bin", nil)
		req.SetBasicAuth(User, testToken)
		resp, err := http.DefaultClient.Do(req)
		must(b, err)
		n, _ := io.CopyBuffer(io.Discard, resp.Body, make([]byte, 1<<20))
		resp.Body.Close()
		if n != size {
			b.Fatalf("got %d of %d bytes", n, size)
		}
	}
}

// BenchmarkPut256MiB: PUT of 256 MiB (temp file, fsync, rename).
func BenchmarkPut256MiB(b *testing.B) {
	size := int64(256 << 20)
	dir := b.TempDir()
	s := benchServer(b, dir)
	buf := make([]byte, 1<<20)
	_, _ = rand.Read(buf)
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		pr := pipedBody(size, buf)
		req, _ := http.NewRequest("PUT", s.URL()+"bench/files/up.bin", pr)
		req.ContentLength = size
		req.SetBasicAuth(User, testToken)
		resp, err := http.DefaultClient.Do(req)
		must(b, err)
		resp.Body.Close()
		if resp.StatusCode != 201 && resp.StatusCode != 204 {
			b.Fatalf("PUT = %d", resp.StatusCode)
		}
	}
}

// BenchmarkRemoteGet256MiB: GET through WebDAV of a file on another
// node: HTTP on loopback, then /peerhood/files/1 over libp2p TCP.
func BenchmarkRemoteGet256MiB(b *testing.B) {
	ctx := b.Context()
	me, srv := newShareNode(b, ctx), newShareNode(b, ctx)
	for _, n := range []*shareNode{me, srv} {
		n.dir.Add(shareMember("me", me.host.ID()))
		n.dir.Add(shareMember("srv", srv.host.ID()))
	}
	me.host.Peerstore().AddAddrs(srv.host.ID(), srv.host.Host.Addrs(), time.Hour)
	dir := b.TempDir()
	size := int64(256 << 20)
	buf := make([]byte, size)
	_, _ = rand.Read(buf)
	must(b, os.WriteFile(filepath.Join(dir, "big.bin"), buf, 0o644))
	_, err := srv.svc.Configs().Add(ctx, share.Config{Name: "files", Workgroup: shareWG, Path: dir})
	must(b, err)
	sb, err := NewShareBackend(me.svc, "me", b.TempDir())
	must(b, err)
	b.Cleanup(func() { sb.Close() })
	s, err := Listen("127.0.0.1:0", sb, testToken, nil)
	must(b, err)
	b.Cleanup(func() { s.Close() })
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest("GET", s.URL()+"srv/files/big.bin", nil)
		req.SetBasicAuth(User, testToken)
		resp, err := http.DefaultClient.Do(req)
		must(b, err)
		n, _ := io.CopyBuffer(io.Discard, resp.Body, make([]byte, 1<<20))
		resp.Body.Close()
		if n != size {
			b.Fatalf("got %d of %d bytes", n, size)
		}
	}
}

// BenchmarkRemotePropfind10k: PROPFIND Depth 1 of another node's folder
// of 10,000 files (readdir over /peerhood/files/1, then the 207 reply).
func BenchmarkRemotePropfind10k(b *testing.B) {
	ctx := b.Context()
	me, srv := newShareNode(b, ctx), newShareNode(b, ctx)
	for _, n := range []*shareNode{me, srv} {
		n.dir.Add(shareMember("me", me.host.ID()))
		n.dir.Add(shareMember("srv", srv.host.ID()))
	}
	me.host.Peerstore().AddAddrs(srv.host.ID(), srv.host.Host.Addrs(), time.Hour)
	dir := b.TempDir()
	for i := 0; i < 10000; i++ {
		must(b, os.WriteFile(filepath.Join(dir, fmt.Sprintf("file-%05d.txt", i)), []byte("x"), 0o644))
	}
	_, err := srv.svc.Configs().Add(ctx, share.Config{Name: "files", Workgroup: shareWG, Path: dir})
	must(b, err)
	sb, err := NewShareBackend(me.svc, "me", b.TempDir())
	must(b, err)
	b.Cleanup(func() { sb.Close() })
	s, err := Listen("127.0.0.1:0", sb, testToken, nil)
	must(b, err)
	b.Cleanup(func() { s.Close() })
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest("PROPFIND", s.URL()+"srv/files/", nil)
		req.SetBasicAuth(User, testToken)
		req.Header.Set("Depth", "1")
		resp, err := http.DefaultClient.Do(req)
		must(b, err)
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 207 || n < 10000*200 {
			b.Fatalf("PROPFIND = %d, %d bytes", resp.StatusCode, n)
		}
	}
}

// BenchmarkRemotePut256MiB: PUT through WebDAV into another node's
// share: with Content-Length (streamed), chunked with macOS Finder's
// X-Expected-Entity-Length (streamed) and chunked with no size (staged in
// the spool first).
func BenchmarkRemotePut256MiB(b *testing.B) {
	ctx := b.Context()
	me, srv := newShareNode(b, ctx), newShareNode(b, ctx)
	for _, n := range []*shareNode{me, srv} {
		n.dir.Add(shareMember("me", me.host.ID()))
		n.dir.Add(shareMember("srv", srv.host.ID()))
	}
	me.host.Peerstore().AddAddrs(srv.host.ID(), srv.host.Host.Addrs(), time.Hour)
	_, err := srv.svc.Configs().Add(ctx, share.Config{Name: "files", Workgroup: shareWG, Path: b.TempDir(),
		Rules: []share.Rule{{Who: "me", Right: "rw"}}})
	must(b, err)
	sb, err := NewShareBackend(me.svc, "me", b.TempDir())
	must(b, err)
	b.Cleanup(func() { sb.Close() })
	s, err := Listen("127.0.0.1:0", sb, testToken, nil)
	must(b, err)
	b.Cleanup(func() { s.Close() })
	size := int64(256 << 20)
	buf := make([]byte, 1<<20)
	_, _ = rand.Read(buf)
	for _, mode := range []string{"content-length", "chunked-expected", "chunked"} {
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				pr := pipedBody(size, buf)
				req, _ := http.NewRequest("PUT", s.URL()+"srv/files/up.bin", pr)
				req.ContentLength = -1
				switch mode {
				case "content-length":
					req.ContentLength = size
				case "chunked-expected":
					req.Header.Set("X-Expected-Entity-Length", strconv.FormatInt(size, 10))
				}
				req.SetBasicAuth(User, testToken)
				resp, err := http.DefaultClient.Do(req)
				must(b, err)
				resp.Body.Close()
				if resp.StatusCode != 201 && resp.StatusCode != 204 {
					b.Fatalf("PUT = %d", resp.StatusCode)
				}
			}
		})
	}
}

// pipedBody is a request body of size bytes (buf over and over) written
// through a pipe, so neither side holds it whole.
func pipedBody(size int64, buf []byte) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		for w := int64(0); w < size; w += int64(len(buf)) {
			if _, err := pw.Write(buf); err != nil {
				return
			}
		}
		pw.Close()
	}()
	return pr
}
