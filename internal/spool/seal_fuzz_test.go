package spool

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"filippo.io/age"
)

// sealedSeeds are plaintext payloads as writePayload writes them (header
// frame, then the files' bytes), and edge cases of the framing.
func sealedSeeds(t testing.TB) [][]byte {
	frame := func(h PayloadHeader, body string) []byte {
		var buf bytes.Buffer
		if err := writePayload(&buf, h, nil); err != nil {
			t.Fatal(err)
		}
		return append(buf.Bytes(), body...)
	}
	mail := frame(PayloadHeader{Kind: KindMail, Subject: "hi", Body: "hello"}, "")
	one := frame(PayloadHeader{Kind: KindFile, Files: []FileEntry{{Path: "a.txt", Size: 3, Mode: 0o644}}}, "abc")
	two := frame(PayloadHeader{Kind: KindFile, Files: []FileEntry{{Path: "d/a", Size: 2}, {Path: "d/b", Size: 1}}, Share: "docs", Dir: "in"}, "xyz")
	// Sizes whose sum wraps around 2^64 to the bytes really there: the
	// header the fix refuses (each size at most maxPayload).
	wrap := frame(PayloadHeader{Kind: KindFile, Files: []FileEntry{{Path: "a", Size: 1 << 63}, {Path: "b", Size: 1<<63 + 3}}}, "abc")
	short := frame(PayloadHeader{Kind: KindFile, Files: []FileEntry{{Path: "a", Size: 4}}}, "abc")
	return [][]byte{mail, one, two, wrap, short, nil, {0x00}, {0xff, 0xff, 0xff, 0x07}, binary.AppendUvarint(nil, maxHeader)}
}

// FuzzSealedPayload decrypts a sealed payload (what a member's copy or
// mail carries, end to end encrypted by the sender) both ways the
// recipient reads one: the random-access reader of spooled files
// (readSealedHeader, extractFile) and the streaming one (openPayload,
// extractPayload). When the random-access reader accepts a header, the
// streaming one accepts the same, the files' sizes account exactly for
// the plaintext without overflow, and each file's bytes read at its
// offset are the bytes the stream yields.
func FuzzSealedPayload(f *testing.F) {
	for _, s := range sealedSeeds(f) {
		f.Add(s)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, plain []byte) {
		var ct bytes.Buffer
		aw, err := age.Encrypt(&ct, id.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := aw.Write(plain); err != nil {
			t.Fatal(err)
		}
		if err := aw.Close(); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "sealed")
		if err := os.WriteFile(p, ct.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		sf, err := openSealedFile(p, id)
		if err != nil {
			return
		}
		defer sf.src.Close()
		if sf.size != int64(len(plain)) {
			t.Fatalf("plaintext size %d, want %d", sf.size, len(plain))
		}
		sum, carry := uint64(sf.bodyAt), uint64(0)
		for _, fe := range sf.hdr.Files {
			var c uint64
			sum, c = bits.Add64(sum, fe.Size, 0)
			carry |= c
		}
		if carry != 0 || sum != uint64(len(plain)) {
			t.Fatalf("accepted sizes %+v that do not add up to %d bytes after the header (%d)", sf.hdr.Files, len(plain), sf.bodyAt)
		}
		hdr, body, err := openPayload(bytes.NewReader(ct.Bytes()), id)
		if err != nil {
			t.Fatalf("the streaming reader refuses what the spooled one accepts: %v", err)
		}
		if !reflect.DeepEqual(*hdr, sf.hdr) {
			t.Fatalf("headers differ: %+v and %+v", *hdr, sf.hdr)
		}
		off := sf.bodyAt
		for _, fe := range sf.hdr.Files {
			want := make([]byte, fe.Size)
			if _, err := io.ReadFull(body, want); err != nil {
				t.Fatalf("stream: %v", err)
			}
			got := make([]byte, fe.Size)
			if n, err := sf.ra.ReadAt(got, off); n != len(got) || (err != nil && err != io.EOF) {
				t.Fatalf("read %s at %d: %d bytes, %v", fe.Path, off, n, err)
			}
			if !bytes.Equal(got, want) || !bytes.Equal(got, plain[off:off+int64(fe.Size)]) {
				t.Fatalf("file %s: the two readers disagree", fe.Path)
			}
			off += int64(fe.Size)
		}
		if n, err := io.Copy(io.Discard, body); err != nil || n != 0 {
			t.Fatalf("stream: %d trailing bytes, %v", n, err)
		}
	})
}
