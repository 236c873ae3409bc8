package share

import (
	"testing"

	"github.com/peerhood/peerhood/internal/wire"
)

// FuzzDecodeBatchItem feeds arbitrary bytes to the decoder of a batch's
// items: it must never panic, and what it accepts is a read or a write
// of one file (a clean path in the batch's share, not the share itself)
// of at most batchMaxFile bytes, with no range or resume.
func FuzzDecodeBatchItem(f *testing.F) {
	for _, s := range []Request{
		{Op: OpRead, Path: "d0/f1.txt"},
		{Op: OpWrite, Path: "d0/f1.txt", Size: 4096, Mtime: 1700000000000000000},
		{Op: OpWrite, Path: "big", Size: batchMaxFile + 1},
		{Op: OpRead, Share: "other", Path: "a"},
		{Op: OpRead, Path: "../etc/passwd"},
		{Op: OpRead, Path: "a", Offset: 10, Resume: true},
		{Op: OpRemove, Path: "a"},
		{Op: OpWrite, Path: "/"},
	} {
		b, err := wire.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeBatchItem(b, "docs")
		if err != nil {
			return
		}
		if r.Op != OpRead && r.Op != OpWrite || r.Share != "docs" {
			t.Fatalf("accepted %+v", r)
		}
		if cp, err := CleanPath(r.Path); err != nil || cp != r.Path || cp == "." {
			t.Fatalf("accepted path %q", r.Path)
		}
		if r.Size < 0 || r.Size > batchMaxFile || r.Offset != 0 || r.Length != 0 || r.Resume || r.HashAll {
			t.Fatalf("accepted numbers %+v", r)
		}
	})
}
