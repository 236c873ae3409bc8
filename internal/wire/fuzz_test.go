package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// FuzzReadFrame feeds arbitrary bytes to the frame reader and decoder: it
// must return an error or a value, never panic or allocate past the limit.
func FuzzReadFrame(f *testing.F) {
	var buf bytes.Buffer
	_ = WriteFrame(&buf, sample{A: "seed", B: 9, C: []byte{1, 2}})
	f.Add(buf.Bytes())
	f.Add([]byte{0x00})
	f.Add([]byte{0x05, 0xa1, 0x01, 0x61, 'x', 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), 4096)
		for i := 0; i < 4; i++ {
			var v sample
			if err := r.ReadFrame(&v); err != nil {
				return
			}
			// A decoded value re-encodes and decodes to itself.
			var again bytes.Buffer
			if err := WriteFrame(&again, v); err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			var w sample
			if err := NewReader(&again, 0).ReadFrame(&w); err != nil {
				t.Fatalf("re-decode: %v", err)
			}
			if w.A != v.A || w.B != v.B || !bytes.Equal(w.C, v.C) {
				t.Fatalf("unstable round trip %+v vs %+v", v, w)
			}
		}
	})
}

// FuzzReadFrameScoped reads arbitrary bytes through a reader with a real
// resource-manager stream scope that holds at most 64 KiB: a frame
// beyond it is refused, a refused or failed frame leaves nothing
// reserved, and what is reserved never exceeds the scope.
func FuzzReadFrameScoped(f *testing.F) {
	var buf bytes.Buffer
	_ = WriteFrame(&buf, sample{A: "seed", C: make([]byte, 8<<10)})
	f.Add(buf.Bytes(), uint16(0))
	f.Add(binary.AppendUvarint(nil, 60<<10), uint16(100))
	f.Add(binary.AppendUvarint(nil, 1<<20), uint16(2))
	rm := newResourceManager(f, 64<<10)
	f.Fuzz(func(t *testing.T, data []byte, max uint16) {
		scope := openStreamScope(t, rm)
		r := NewReader(scopedReader{bytes.NewReader(data), scope}, 128<<10)
		for i := 0; i < 4; i++ {
			if i == 2 {
				r.SetMax(int(max))
			}
			var v sample
			err := r.ReadFrame(&v)
			held := scope.Stat().Memory
			if held > 64<<10 {
				t.Fatalf("%d bytes reserved, scope holds 64 KiB", held)
			}
			if err != nil {
				// Only a frame that was read whole (and then failed to
				// decode) may still hold its reservation.
				readFailed := errors.Is(err, ErrNoMemory) || errors.Is(err, io.EOF) ||
					errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrFrameTooLarge)
				if readFailed && held != 0 {
					t.Fatalf("failed read (%v) left %d bytes reserved", err, held)
				}
				r.Release()
				if m := scope.Stat().Memory; m != 0 {
					t.Fatalf("after an error and Release, %d bytes reserved", m)
				}
				return
			}
		}
	})
}
