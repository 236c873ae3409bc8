package testutil

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Filler is the file FillDisk wrote.
type Filler struct {
	Path string // dir/filler
	Size int64  // bytes written
	t    testing.TB
}

// FillDisk writes the file dir/filler until dir's file system has no
// byte left: 64 KiB at a time, then ever smaller writes down to a single
// byte. A write failing with anything but ENOSPC fails the test.
func FillDisk(t testing.TB, dir string) Filler {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var size int64
	chunk := make([]byte, 64<<10)
	for n := len(chunk); n > 0; n /= 2 {
		for {
			w, err := f.Write(chunk[:n])
			size += int64(w)
			if err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("fill %s: %v", dir, err)
				}
				break
			}
		}
	}
	return Filler{Path: p, Size: size, t: t}
}

// Free removes the filler, giving its space back.
func (f Filler) Free() {
	f.t.Helper()
	if err := os.Remove(f.Path); err != nil {
		f.t.Fatal(err)
	}
}
