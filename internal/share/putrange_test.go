package share

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cutReader yields its bytes, then fails (a browser's aborted request).
type cutReader struct {
	r    io.Reader
	read int64
}

func (c *cutReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += int64(n)
	if err == io.EOF {
		err = errors.New("client went away")
	}
	return n, err
}

// TestPutRangeResumesACutUpload: a source that breaks off mid-file
// leaves the member holding every byte sent and PutRange a CutError with
// their hash state; PutRange from there sends only the rest (the member
// resumes exactly there), and the file lands whole with its SHA-256. A
// resume from past what the member holds is refused with ErrResumeGap;
// an upload from 0 over a member's partial skips what it holds.
func TestPutRangeResumesACutUpload(t *testing.T) {
	e := newEnv(t, Rule{Who: "*", Right: "rw"})
	c := e.client("alice")
	data := make([]byte, 3<<20+12345)
	_, _ = rand.Read(data)
	mtime := time.UnixMilli(1_700_000_000_123)
	size := int64(len(data))

	src := &cutReader{r: bytes.NewReader(data[:1<<20+777])}
	_, at, err := c.PutRange(e.ctx, "docs", "big.bin", src, 0, size, mtime, nil)
	var cut *CutError
	if !errors.As(err, &cut) || at != 0 {
		t.Fatalf("cut upload: at %d, %v; want a CutError from 0", at, err)
	}
	if cut.N != 1<<20+777 {
		t.Fatalf("cut after %d bytes, want %d", cut.N, 1<<20+777)
	}

	if _, _, err := c.PutRange(e.ctx, "docs", "big.bin", bytes.NewReader(data[cut.N+1:]), cut.N+1, size, mtime, sha256.New()); !errors.Is(err, ErrResumeGap) {
		t.Fatalf("resume past the member's bytes: %v, want ErrResumeGap", err)
	}

	rest := &cutReader{r: bytes.NewReader(data[cut.N:])}
	ent, at, err := c.PutRange(e.ctx, "docs", "big.bin", io.LimitReader(rest, size-cut.N), cut.N, size, mtime, cut.H)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if at != cut.N || rest.read != size-cut.N {
		t.Fatalf("resumed at %d reading %d bytes; want at %d reading only the rest (%d)", at, rest.read, cut.N, size-cut.N)
	}
	got, err := os.ReadFile(filepath.Join(e.root, "big.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("file on the member: %d bytes, %v; want the %d bytes sent", len(got), err, size)
	}
	if ent.Size != size || ent.Mtime != mtime.UnixNano() {
		t.Fatalf("entry %+v", ent)
	}

	// This node lost the hash state (a restart): the client sends from 0,
	// and the bytes the member holds are hashed here, not sent again.
	if _, _, err := c.PutRange(e.ctx, "docs", "again.bin", &cutReader{r: bytes.NewReader(data[:777_777])}, 0, size, mtime, nil); !errors.As(err, &cut) {
		t.Fatalf("second cut: %v", err)
	}
	_, at, err = c.PutRange(e.ctx, "docs", "again.bin", bytes.NewReader(data), 0, size, mtime, nil)
	if err != nil || at != 777_777 {
		t.Fatalf("upload from 0 over a partial of 777777 bytes: resumed at %d, %v", at, err)
	}
	if got, err := os.ReadFile(filepath.Join(e.root, "again.bin")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("again.bin on the member: %d bytes, %v", len(got), err)
	}
}

func TestParseContentRange(t *testing.T) {
	for _, tc := range []struct {
		v           string
		n           int64
		start, size int64
		ok          bool
	}{
		{"bytes 100-199/200", 100, 100, 200, true},
		{"bytes 0-0/1", 1, 0, 1, true},
		{"bytes 100-198/200", 99, 0, 0, false}, // not to the end
		{"bytes 100-199/200", 99, 0, 0, false}, // body too short
		{"bytes 200-199/200", 0, 0, 0, false},
		{"bytes */200", 0, 0, 0, false},
		{"bytes -1-199/200", 201, 0, 0, false},
		{"items 100-199/200", 100, 0, 0, false},
		{"bytes 100-199/*", 100, 0, 0, false},
		{"bytes 0-9223372036854775806/9223372036854775807", 0, 0, 0, false},
	} {
		start, size, err := ParseContentRange(tc.v, tc.n)
		if (err == nil) != tc.ok || (tc.ok && (start != tc.start || size != tc.size)) {
			t.Errorf("%q (%d bytes): %d %d %v", tc.v, tc.n, start, size, err)
		}
	}
}

func FuzzParseContentRange(f *testing.F) {
	f.Add("bytes 100-199/200", int64(100))
	f.Add("bytes 0-0/1", int64(1))
	f.Fuzz(func(t *testing.T, v string, n int64) {
		start, size, err := ParseContentRange(v, n)
		if err != nil {
			return
		}
		if start < 0 || start >= size || size-start != n || !strings.HasPrefix(v, "bytes ") {
			t.Fatalf("%q (%d): start %d size %d", v, n, start, size)
		}
	})
}
