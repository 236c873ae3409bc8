package spool

import (
	"bytes"
	"crypto/rand"
	"io"
	"testing"

	"filippo.io/age"
)

// fuzzAgeKey is a fixed identity, so the fuzz corpus's ciphertexts stay
// decryptable.
const fuzzAgeKey = "AGE-SECRET-KEY-1RNP8QV5MHDLXMPR5DK74K3CE3JR8VM97S3ZZTPGC7N48DQPUZ5GQ7ZWGVZ"

func fuzzIdentity(tb testing.TB) *age.X25519Identity {
	id, err := age.ParseX25519Identity(fuzzAgeKey)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

func ageSeal(tb testing.TB, id *age.X25519Identity, pt []byte) []byte {
	var ct bytes.Buffer
	w, err := age.Encrypt(&ct, id.Recipient())
	if err != nil {
		tb.Fatal(err)
	}
	w.Write(pt)
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return ct.Bytes()
}

// sameAsAge decrypts ct with decryptAge and with age.Decrypt: both must
// fail, or both give the same plaintext.
func sameAsAge(t *testing.T, id age.Identity, ct []byte) (ok bool) {
	t.Helper()
	var want, got []byte
	r, werr := age.Decrypt(bytes.NewReader(ct), id)
	if werr == nil {
		want, werr = io.ReadAll(r)
	}
	r, gerr := decryptAge(bytes.NewReader(ct), id)
	if gerr == nil {
		got, gerr = io.ReadAll(r)
	}
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("age says %v, decryptAge says %v", werr, gerr)
	}
	if werr == nil && !bytes.Equal(got, want) {
		t.Fatalf("plaintexts differ (%d and %d bytes)", len(got), len(want))
	}
	return werr == nil
}

// decryptAge opens chunks into its own buffer instead of age's reader's
// per-chunk allocation: it must accept exactly what age accepts, with the
// same plaintext, and refuse every truncation, extension and flipped byte
// (at chunk boundaries, in the header, in the nonce, in the last chunk,
// for plaintexts ending on and off a chunk boundary).
func TestDecryptAgeMatchesAge(t *testing.T) {
	t.Parallel()
	id := fuzzIdentity(t)
	other, _ := age.GenerateX25519Identity()
	for _, size := range []int{0, 1, 100, ageChunk - 1, ageChunk, ageChunk + 1, 2 * ageChunk, 3*ageChunk + 5} {
		pt := make([]byte, size)
		rand.Read(pt)
		ct := ageSeal(t, id, pt)
		if !sameAsAge(t, id, ct) {
			t.Fatalf("size %d: not decrypted", size)
		}
		hdrEnd := bytes.Index(ct, []byte("\n--- "))
		hdrEnd += bytes.IndexByte(ct[hdrEnd+1:], '\n') + 2
		cuts := []int{0, hdrEnd - 1, hdrEnd, hdrEnd + ageNonceSize - 1, hdrEnd + ageNonceSize, len(ct) - 1, len(ct) - 17}
		for c := hdrEnd + ageNonceSize; c < len(ct); c += ageEncChunk {
			cuts = append(cuts, c, c+1, c+ageEncChunk-1)
		}
		for _, c := range cuts {
			if c >= 0 && c < len(ct) && sameAsAge(t, id, ct[:c]) {
				t.Fatalf("size %d: truncated at %d of %d accepted", size, c, len(ct))
			}
		}
		for _, c := range append(cuts, hdrEnd-3) {
			if c < 0 || c >= len(ct) {
				continue
			}
			bad := bytes.Clone(ct)
			bad[c] ^= 0x20
			if sameAsAge(t, id, bad) {
				t.Fatalf("size %d: byte %d flipped accepted", size, c)
			}
		}
		if sameAsAge(t, id, append(bytes.Clone(ct), 0)) {
			t.Fatalf("size %d: trailing byte accepted", size)
		}
		if sameAsAge(t, other, ct) {
			t.Fatalf("size %d: decrypted with another identity", size)
		}
	}
}

// FuzzDecryptAge gives decryptAge arbitrary ciphertexts (what a peer or a
// mailbox hands over): it never panics, and accepts exactly what age's own
// reader accepts, with the same plaintext.
func FuzzDecryptAge(f *testing.F) {
	id := fuzzIdentity(f)
	f.Add(ageSeal(f, id, []byte("hello")))
	f.Add(ageSeal(f, id, nil))
	f.Add([]byte("age-encryption.org/v1\n--- x\n"))
	f.Fuzz(func(t *testing.T, ct []byte) {
		sameAsAge(t, id, ct)
	})
}
