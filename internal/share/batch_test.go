package share

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/wire"
)

// Folders of small files go in batches when the sharing node knows them,
// file by file when it is a node from before batches: the same files
// arrive either way (one large file among them goes alone).
func TestBatchTreesFallBackToOldNodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		old     bool
		batched bool
	}{{"batches", false, true}, {"node before batches", true, false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Rule{Who: "*", Right: "rw"})
			e.svc.noBatch.Store(tc.old)
			c := e.client("alice")
			want := map[string][]byte{}
			for i := range 70 {
				rel := fmt.Sprintf("d%d/f%02d.txt", i%2, i)
				want[rel] = randBytes(t, 100+i*61)
				e.write("tree/"+rel, want[rel])
			}
			want["big.bin"] = randBytes(t, batchMaxFile+1)
			e.write("tree/big.bin", want["big.bin"])
			dst := filepath.Join(t.TempDir(), "got")
			res, err := GetTree(e.ctx, c, "docs", "tree", dst, TransferOptions{})
			if err != nil || res.Files != len(want) {
				t.Fatalf("get -r: %d files, %v; want %d", res.Files, err, len(want))
			}
			checkTree(t, dst, want)
			res, err = PutTree(e.ctx, c, dst, "docs", "back", TransferOptions{})
			if err != nil || res.Files != len(want) {
				t.Fatalf("put -r: %d files, %v; want %d", res.Files, err, len(want))
			}
			checkTree(t, filepath.Join(e.root, "back"), want)
			if got := e.svc.batched.Load(); (got == 2*int64(len(want)-1)) != tc.batched || c.noBatch.Load() != tc.old {
				t.Fatalf("%d batch items served, client noBatch %v", got, c.noBatch.Load())
			}
		})
	}
}

// checkTree checks that folder dir holds exactly want (relative slash
// paths) and no temporary file.
func checkTree(t *testing.T, dir string, want map[string][]byte) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		if w, ok := want[filepath.ToSlash(rel)]; !ok || err != nil || !bytes.Equal(data, w) {
			return fmt.Errorf("%s: unexpected or different (%v)", rel, err)
		}
		n++
		return nil
	})
	if err != nil || n != len(want) {
		t.Fatalf("%s: %d files, %v; want %d", dir, n, err, len(want))
	}
}

// One batch stream carries uploads and reads; an item refused (wrong
// digest, missing folder, missing file) is answered alone and the stream
// goes on; replies come in item order; nothing refused appears at its
// final name, no temporary file is left, and accepted uploads keep their
// mtime.
func TestBatchItemsAnsweredInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Rule{Who: "*", Right: "rw"})
	c := e.client("alice")
	st, rd, algo, err := c.openBatch(e.ctx, "docs")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mt := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC).UnixNano()
	sum := func(b []byte) []byte { h := algo.New(); h.Write(b); return h.Sum(nil) }
	a, b, d := []byte("alpha file"), []byte("bravo file"), []byte("delta")
	var buf bytes.Buffer
	for _, it := range []struct {
		path string
		data []byte
		sum  []byte
	}{{"a.txt", a, sum(a)}, {"b.txt", b, sum(a)}, {"nope/c.txt", a, sum(a)}} {
		if err := sendPutItem(&buf, it.path, it.data, mt, it.sum); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"a.txt", "x.txt"} {
		_ = wire.WriteFrame(&buf, Request{Op: OpRead, Path: p})
	}
	_ = sendPutItem(&buf, "d.txt", d, mt, sum(d))
	if _, err := st.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	_ = st.CloseWrite()
	wantErr := func(code string) {
		t.Helper()
		var re *RemoteError
		if _, err := readReply(rd); !errors.As(err, &re) || re.Code != code {
			t.Fatalf("reply %v, want code %s", err, code)
		}
	}
	if r, err := readReply(rd); err != nil || r.Entry == nil || r.Entry.Size != int64(len(a)) {
		t.Fatalf("a.txt: %+v, %v", r, err)
	}
	wantErr(codeCorrupt)
	wantErr("not_found")
	r, err := readReply(rd)
	got := make([]byte, r.Length)
	var tr Reply
	if err == nil {
		_, err = io.ReadFull(rd, got)
	}
	if err == nil {
		err = rd.ReadFrame(&tr)
	}
	if err != nil || !bytes.Equal(got, a) || string(tr.Sum) != string(sum(a)) || tr.Changed {
		t.Fatalf("read a.txt: %q, %+v, %v", got, tr, err)
	}
	wantErr("not_found")
	if r, err := readReply(rd); err != nil || r.Entry == nil || r.Entry.Mtime != mt {
		t.Fatalf("d.txt: %+v, %v", r, err)
	}
	if _, err := readReply(rd); err == nil {
		t.Fatal("a reply after the last item")
	}
	checkTree(t, e.root, map[string][]byte{"a.txt": a, "d.txt": d})
}

// A batch item the sharing node cannot skip (a write larger than a batch
// may carry) is refused and ends the stream; nothing is written.
func TestBatchOversizedItemEndsTheStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Rule{Who: "*", Right: "rw"})
	c := e.client("alice")
	st, rd, _, err := c.openBatch(e.ctx, "docs")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_ = wire.WriteFrame(st, Request{Op: OpWrite, Path: "huge.bin", Size: batchMaxFile + 1})
	_, _ = st.Write(make([]byte, 4096))
	var re *RemoteError
	if _, err := readReply(rd); !errors.As(err, &re) || re.Code != wire.CodeBadRequest || !strings.Contains(re.Message, "limit") {
		t.Fatalf("oversized item: %v", err)
	}
	if _, err := readReply(rd); err == nil {
		t.Fatal("the stream went on after an oversized item")
	}
	checkTree(t, e.root, map[string][]byte{})
}

// A file that changed since the listing is not taken from the batch
// (the listing's size and mtime no longer match): it is left for a get
// of its own, which brings the new version.
func TestBatchStaleListingLeavesTheFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Rule{Who: "*", Right: "rw"})
	c := e.client("alice")
	e.write("s.txt", []byte("old"))
	e.write("t.txt", []byte("stays"))
	old, err := c.Stat(e.ctx, "docs", "s.txt")
	if err != nil {
		t.Fatal(err)
	}
	stay, _ := c.Stat(e.ctx, "docs", "t.txt")
	e.write("s.txt", []byte("newer version"))
	dst := t.TempDir()
	items := []batchGet{{"s.txt", filepath.Join(dst, "s.txt"), old}, {"t.txt", filepath.Join(dst, "t.txt"), stay}}
	var res Result
	left, err := c.getBatch(e.ctx, "docs", items, TransferOptions{}, &res)
	if err != nil || len(left) != 1 || left[0].remote != "s.txt" || res.Files != 1 {
		t.Fatalf("left %+v, %d files, %v", left, res.Files, err)
	}
	checkTree(t, dst, map[string][]byte{"t.txt": []byte("stays")})
	if _, err := getBatchJob(c, "docs", items, TransferOptions{})(e.ctx); err != nil {
		t.Fatal(err)
	}
	checkTree(t, dst, map[string][]byte{"t.txt": []byte("stays"), "s.txt": []byte("newer version")})
}

// A batched upload lands like a single one: mode 0644, its mtime, no
// temporary file; it never replaces a folder (nor a link to one) and
// never writes through a link that leaves the share.
func TestBatchPlaceKeepsTheRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Rule{Who: "*", Right: "rw"})
	e.write("x/keep.txt", []byte("k"))
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink("../outside/secret.txt", filepath.Join(e.root, "out")))
	must(os.Symlink("x", filepath.Join(e.root, "tox")))
	l, err := OpenLocal(e.root)
	must(err)
	defer l.Close()
	d := newBatchDirs(l)
	defer d.close()
	mt := time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano()
	for _, tc := range []struct {
		path string
		ok   bool
	}{{"x/new.txt", true}, {"x", false}, {"tox", false}, {"out", false}, {"nope/a.txt", false}} {
		en, err := d.place(tc.path, []byte("data"), mt)
		if (err == nil) != tc.ok {
			t.Fatalf("%s: %v, want ok %v", tc.path, err, tc.ok)
		}
		if tc.ok && (en.Mtime != mt || en.Size != 4) {
			t.Fatalf("%s: entry %+v", tc.path, en)
		}
	}
	fi, err := os.Stat(filepath.Join(e.root, "x/new.txt"))
	if err != nil || fi.Mode().Perm() != 0o644 || fi.ModTime().UnixNano() != mt {
		t.Fatalf("placed file: %v, %v", fi, err)
	}
	if b, _ := os.ReadFile(filepath.Join(e.base, "outside", "secret.txt")); string(b) != "secret" {
		t.Fatalf("wrote through a link: %q", b)
	}
	parts, _ := filepath.Glob(filepath.Join(e.root, "*", partPrefix+"*"))
	top, _ := filepath.Glob(filepath.Join(e.root, partPrefix+"*"))
	if len(parts)+len(top) != 0 {
		t.Fatalf("temporary files left: %v %v", parts, top)
	}
}
