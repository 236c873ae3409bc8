package wire

import (
	"bytes"
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
