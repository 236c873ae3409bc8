package spool

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"testing"
)

// The spill writer hands each gathered buffer to the hasher instead of
// copying it: the spool file and its name (the SHA-256) must still be
// exactly what was written, whatever the write sizes (age's 64 KiB
// chunks, odd sizes, one byte past a buffer) and with more buffers in
// flight than the list holds (a buffer reused before it was hashed would
// change the hash).
func TestSpillWriterFileAndHashMatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		total int
		chunk int
	}{
		{"inline", InlineMax, 4096},
		{"just spilled", InlineMax + 1, 4096},
		{"age chunks", 3*pipeBufs*pipeBuf + 12345, 64<<10 + 16},
		{"odd writes", pipeBuf*5 + 1, 7919},
		{"one big write", pipeBuf*3 + 17, pipeBuf*3 + 17},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := openSpoolDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			data := make([]byte, tc.total)
			rand.Read(data)
			w := newSpillWriter(d)
			for p := data; len(p) > 0; {
				n := min(len(p), tc.chunk)
				if k, err := w.Write(p[:n]); err != nil || k != n {
					t.Fatalf("write: %d, %v", k, err)
				}
				p = p[n:]
			}
			sl, err := w.finish()
			if err != nil {
				t.Fatal(err)
			}
			want := sha256.Sum256(data)
			if !bytes.Equal(sl.hash, want[:]) || sl.size != uint64(tc.total) {
				t.Fatalf("hash %x size %d, want %x %d", sl.hash, sl.size, want, tc.total)
			}
			got := sl.inline
			if got == nil {
				if got, err = os.ReadFile(d.path(hex.EncodeToString(sl.hash))); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(got, data) {
				t.Fatal("stored ciphertext differs from what was written")
			}
		})
	}
}

// receiveFile hands each buffer read from the stream to the hasher and to
// the stager's pipe at once: the partial file, the hash and what the pipe
// reads must each be the whole ciphertext, in order, also when resuming
// from a partial file (its bytes go through the copying path first).
func TestReceiveFileSharesBuffers(t *testing.T) {
	t.Parallel()
	data := make([]byte, 2*pipeBufs*pipeBuf+999)
	rand.Read(data)
	sum := sha256.Sum256(data)
	for _, off := range []int{0, pipeBuf + 5} {
		d, err := openSpoolDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if off > 0 {
			if err := os.WriteFile(d.partial("p"), data[:off], 0o600); err != nil {
				t.Fatal(err)
			}
		}
		tee := newChanPipe()
		teed := make(chan []byte)
		go func() {
			b, _ := io.ReadAll(iotestSlowReader{tee})
			teed <- b
		}()
		f, got, err := d.receiveFile(bytes.NewReader(data[off:]), "p", uint64(off), uint64(len(data)), sum[:], tee)
		tee.closeWrite()
		seen := <-teed
		if err != nil {
			t.Fatalf("offset %d: %v", off, err)
		}
		f.Close()
		if !bytes.Equal(got, sum[:]) {
			t.Fatalf("offset %d: hash %x", off, got)
		}
		if !bytes.Equal(seen, data) {
			t.Fatalf("offset %d: the pipe saw %d bytes, not the ciphertext", off, len(seen))
		}
		if onDisk, _ := os.ReadFile(d.partial("p")); !bytes.Equal(onDisk, data) {
			t.Fatalf("offset %d: partial file differs", off)
		}
	}
}

// iotestSlowReader reads in small pieces, so the pipe's reader lags and
// buffers are in flight to both the hasher and the pipe at once.
type iotestSlowReader struct{ r io.Reader }

func (s iotestSlowReader) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), 1000)]) }
