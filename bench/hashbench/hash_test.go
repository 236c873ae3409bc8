package hashbench

import (
	"crypto/sha256"
	"hash"
	"testing"

	zeebo "github.com/zeebo/blake3"
	luke "lukechampine.com/blake3"
)

func benchHash(b *testing.B, h hash.Hash) {
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		h.Write(buf)
	}
	_ = h.Sum(nil)
}

func BenchmarkSHA256(b *testing.B)      { benchHash(b, sha256.New()) }
func BenchmarkBLAKE3Luke(b *testing.B)  { benchHash(b, luke.New(32, nil)) }
func BenchmarkBLAKE3Zeebo(b *testing.B) { benchHash(b, zeebo.New()) }
