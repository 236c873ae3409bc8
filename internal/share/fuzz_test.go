package share

import (
	"bytes"
	"testing"

	"github.com/peerhood/peerhood/internal/wire"
)

// FuzzDecodeRequest feeds arbitrary bytes to the files protocol's request
// decoder: it must never panic, and whatever it accepts must carry a
// clean path that stays in the share.
func FuzzDecodeRequest(f *testing.F) {
	seeds := []Request{
		{Op: OpShares},
		{Op: OpStat, Share: "docs", Path: "a/b.txt"},
		{Op: OpReadDir, Share: "docs", Path: "/"},
		{Op: OpRead, Share: "docs", Path: "big.bin", Offset: 1 << 20, Length: 4096, HashAll: true},
		{Op: OpWrite, Share: "docs", Path: "up.bin", Size: 10, Mtime: 1700000000000000000, Resume: true},
		{Op: OpRename, Share: "docs", Path: "a", To: "../b"},
		{Op: OpRemove, Share: "docs", Path: "../../etc", Recursive: true},
		{Op: OpMkdir, Share: "docs", Path: "CON"},
	}
	for _, s := range seeds {
		b, err := wire.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0xa1, 0x01, 0x64, 's', 't', 'a', 't'})
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRequest(b)
		if err != nil {
			return
		}
		if r.Op == OpShares {
			return
		}
		if cp, err := CleanPath(r.Path); err != nil || cp != r.Path {
			t.Fatalf("accepted unclean path %q", r.Path)
		}
		if r.Offset < 0 || r.Length < 0 || r.Size < 0 {
			t.Fatalf("accepted negative numbers: %+v", r)
		}
		for _, c := range []string{r.Path, r.To} {
			if c == ".." || len(c) > MaxPathLen {
				t.Fatalf("accepted %q", c)
			}
		}
	})
}

// FuzzCleanPath checks that an accepted path never names anything above
// the share and is stable.
func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "a/../../b", "C:\\x", "CON", "a\x00b", "/", "", "é/ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		cp, err := CleanPath(p)
		if err != nil {
			return
		}
		again, err := CleanPath(cp)
		if err != nil || again != cp {
			t.Fatalf("not stable: %q -> %q -> %q %v", p, cp, again, err)
		}
		for _, c := range splitSlash(cp) {
			if c == ".." || c == "" {
				t.Fatalf("%q -> %q has component %q", p, cp, c)
			}
		}
	})
}

func splitSlash(p string) []string {
	if p == "." {
		return nil
	}
	var out []string
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return out
}

// FuzzReadReply feeds arbitrary bytes to the client's reader of a read
// reply (the first frame a sharing node sends back): it never panics, and
// a reply checkReadReply accepts for a ranged read never claims more
// bytes than were asked, so ReadAt's buffer fits it.
func FuzzReadReply(f *testing.F) {
	e := &Entry{Name: "f.bin", Size: 100, Mode: 0o644}
	for _, r := range []Reply{
		{Entry: e, Offset: 10, Length: 5, Hash: HashBLAKE3},
		{Entry: e, Offset: 10, Length: 90, Hash: HashSHA256},
		{Entry: e, Offset: 0, Length: -1, Hash: HashBLAKE3},
		{Entry: e, Offset: 10, Length: 5, Hash: "md5"},
		{Err: &wire.Error{Code: wire.CodeNotFound, Message: "no such file"}},
	} {
		var buf bytes.Buffer
		if err := wire.WriteFrame(&buf, r); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes(), int64(10), int64(5))
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f}, int64(0), int64(0))
	f.Fuzz(func(t *testing.T, b []byte, off, length int64) {
		if off < 0 || length < 0 || length > 1<<20 {
			return
		}
		r, err := readReply(wire.NewReader(bytes.NewReader(b), maxFrame))
		if err != nil {
			_ = err.Error()
			return
		}
		req := Request{Op: OpRead, Share: "docs", Path: "f.bin", Offset: off, Length: length}
		if checkReadReply(req, r) != nil {
			return
		}
		if r.Offset != off || (length > 0 && r.Length > length) || r.Length < 0 {
			t.Fatalf("accepted range %d+%d for asked %d+%d", r.Offset, r.Length, off, length)
		}
		if length > 0 {
			_ = make([]byte, length)[:r.Length]
		}
	})
}
