//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package share

import (
	"fmt"
	"hash"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapWindow is how much of a file one mapping covers: a transfer maps
// the file window by window (at most mapAhead+1 mapped at once, so the
// node's mapped pages stay bounded whatever the file's size), and
// unmaps each once written and hashed.
const (
	mapWindow = 2 << 20
	mapAhead  = 2
	// mappedMax bounds the mapped bytes a transfer touches at once (the
	// window being hashed, those queued for the hasher, the one being
	// sent): no more than the full pipe's buffers, which the resource
	// manager must have granted (sendFile).
	mappedMax = (mapAhead + 1) * mapWindow
)

// window is one mapped piece of the file.
type window struct {
	mem  []byte // the mapping (page aligned)
	data []byte // the bytes to send, inside mem
	refs atomic.Int32
}

func (w *window) release() {
	if w.refs.Add(-1) == 0 {
		_ = unix.Munmap(w.mem)
	}
}

// mapWin maps [off, off+n) of f.
func mapWin(f *os.File, off, n int64) (*window, error) {
	page := int64(os.Getpagesize())
	start := off &^ (page - 1)
	mem, err := unix.Mmap(int(f.Fd()), start, int(off+n-start), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	_ = unix.Madvise(mem, unix.MADV_SEQUENTIAL)
	return &window{mem: mem, data: mem[off-start:]}, nil
}

// sendMapped is sendFile over mappings of f; ok is false when f is not a
// regular file or its first window cannot be mapped (the caller reads it
// instead). A file cut shorter while it is sent makes the next access to
// a missing page fault: that fault is caught (debug.SetPanicOnFault) in
// the goroutine that touched the page and ends the transfer with
// ErrChanged, as any change seen at its end does.
func sendMapped(dst io.Writer, f *os.File, off, n int64, h hash.Hash, onChunk func(int)) (sent int64, err error, ok bool) {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || n <= 0 || off+n > fi.Size() {
		return 0, nil, false
	}
	first, err := mapWin(f, off, min(n, mapWindow))
	if err != nil {
		return 0, nil, false
	}
	var hashErr error
	toHash := make(chan *window, mapAhead)
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		for w := range toHash {
			if hashErr == nil {
				hashErr = w.touching(func() error { h.Write(w.data); return nil })
			}
			w.release()
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	for w := first; w != nil; {
		if h != nil {
			w.refs.Store(2)
			toHash <- w
		} else {
			w.refs.Store(1)
		}
		// Map the next window before sending this one: the kernel reads
		// it ahead from a disk while this one goes out.
		var next *window
		if end := sent + int64(len(w.data)); end < n {
			if next, err = mapWin(f, off+end, min(n-end, mapWindow)); err == nil {
				_ = unix.Madvise(next.mem, unix.MADV_WILLNEED)
			} else {
				err = fmt.Errorf("map %s: %w", f.Name(), err)
			}
		}
		var k int
		if err == nil {
			err = w.touching(func() (err error) { k, err = dst.Write(w.data); return err })
			if err == nil && k < len(w.data) {
				err = io.ErrShortWrite
			}
		}
		sent += int64(k)
		w.release()
		if err != nil {
			if next != nil {
				next.refs.Store(1)
				next.release()
			}
			break
		}
		if onChunk != nil {
			onChunk(k)
		}
		w = next
	}
	close(toHash)
	<-hashed
	if err == nil {
		err = hashErr
	}
	return sent, err, true
}

// touching runs fn, which reads w's pages, and turns a fault on one of
// them (the file was cut shorter, or a page could not be read) into
// ErrChanged. Any other panic, a fault elsewhere included, goes on.
func (w *window) touching(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			f, isFault := r.(interface{ Addr() uintptr })
			if _, isRuntime := r.(runtime.Error); !isRuntime || !isFault || !w.holds(f.Addr()) {
				panic(r)
			}
			err = fmt.Errorf("%w: a page of the file could not be read while it was sent: cut shorter or unreadable (%v)", ErrChanged, r)
		}
	}()
	return fn()
}

// holds tells whether addr is inside w's mapping.
func (w *window) holds(addr uintptr) bool {
	start := uintptr(unsafe.Pointer(unsafe.SliceData(w.mem)))
	return addr >= start && addr < start+uintptr(len(w.mem))
}
