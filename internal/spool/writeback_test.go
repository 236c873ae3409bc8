package spool

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
)

// Write-behind hands each whole step to writeback as it is written and
// leaves the file's bytes as written.
func TestBehindWriterSteps(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data := make([]byte, 2*writeBehindStep+12345)
	rand.Read(data)
	w := &behindWriter{w: f, f: f}
	for p := data; len(p) > 0; {
		n := min(len(p), 300<<10)
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
		if w.b.off-w.b.started >= writeBehindStep {
			t.Fatalf("%d bytes written past the last writeback start", w.b.off-w.b.started)
		}
	}
	if w.b.started < writeBehindStep || w.b.off != int64(len(data)) {
		t.Fatalf("writeback started up to %d of %d bytes", w.b.started, w.b.off)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(f.Name()); !bytes.Equal(got, data) {
		t.Fatal("the file differs from what was written")
	}
}
