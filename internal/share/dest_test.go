package share

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The destination rules (dest.go), on a real folder: a trailing slash
// names a folder (created if missing, refused if a file holds the
// name), an existing folder gets the source inside it, anything else is
// the new file's own path; --no-clobber refuses an existing file with
// ErrFileExists.
func TestDest(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "docs"), 0o755))
	must(os.WriteFile(filepath.Join(root, "docs", "notes.txt"), []byte("x"), 0o644))
	must(os.WriteFile(filepath.Join(root, "file"), []byte("x"), 0o644))
	j := func(p ...string) string { return filepath.Join(append([]string{root}, p...)...) }
	sep := string(filepath.Separator)
	for _, tc := range []struct {
		name, dst, src string
		noClobber      bool
		want           string
		err            error
		made           string // folder created
	}{
		{name: "slash, missing folder", dst: j("docs", "inbox") + sep, src: "notes.txt", want: j("docs", "inbox", "notes.txt"), made: j("docs", "inbox")},
		{name: "slash, missing parents", dst: j("a", "b") + "/", src: "n.txt", want: j("a", "b", "n.txt"), made: j("a", "b")},
		{name: "slash, existing folder", dst: j("docs") + sep, src: "new.txt", want: j("docs", "new.txt")},
		{name: "slash on a file", dst: j("file") + sep, src: "n.txt", err: ErrNotFolder},
		{name: "existing folder", dst: j("docs"), src: "new.txt", want: j("docs", "new.txt")},
		{name: "new name", dst: j("docs", "today.txt"), src: "notes.txt", want: j("docs", "today.txt")},
		{name: "existing file replaced", dst: j("docs", "notes.txt"), src: "other.txt", want: j("docs", "notes.txt")},
		{name: "no clobber, existing file", dst: j("docs", "notes.txt"), src: "other.txt", noClobber: true, err: ErrFileExists},
		{name: "no clobber, into folder", dst: j("docs") + sep, src: "notes.txt", noClobber: true, err: ErrFileExists},
		{name: "no clobber, new file", dst: j("docs") + sep, src: "fresh.txt", noClobber: true, want: j("docs", "fresh.txt")},
		{name: "no name (a share's root)", dst: j("root") + sep, src: "", want: j("root"), made: j("root")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Dest(LocalFS{}, tc.dst, tc.src, filepath.Join)
			if err == nil {
				err = NoClobber(LocalFS{}, got, got, tc.noClobber)
			}
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("got %q, %v; want %v", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
			if tc.made != "" {
				if fi, err := os.Stat(tc.made); err != nil || !fi.IsDir() {
					t.Fatalf("folder %s not created: %v", tc.made, err)
				}
			}
		})
	}
}

// NoClobberTree checks every file a folder transfer writes, not only the
// folder: it names the files that exist (a few, then a count) and lets
// through a transfer into an existing folder that replaces nothing.
func TestNoClobberTree(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"tree/a.txt", "tree/sub/b.txt", "tree/sub/c.txt", "tree/d/e/f.txt"} {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dst := filepath.Join(root, "tree")
	shown := func(rel string) string { return "docs/" + rel }
	many := []string{"a.txt", "sub/b.txt", "sub/c.txt", "d/e/f.txt", "sub", "d"}
	for _, tc := range []struct {
		name      string
		files     []string
		noClobber bool
		want      string // in the error; "" for none
	}{
		{"only new files", []string{"new.txt", "sub/new.txt", "x/y/z.txt"}, true, ""},
		{"one exists, deep", []string{"new.txt", "sub/c.txt"}, true, "docs/sub/c.txt exists; nothing was copied"},
		{"several", []string{"a.txt", "sub/new.txt", "sub/b.txt"}, true, "2 files already exist (docs/a.txt, docs/sub/b.txt)"},
		{"a folder in the way", []string{"sub"}, true, "docs/sub exists"},
		{"many are counted", many, true, "6 files already exist (docs/a.txt, docs/d, docs/d/e/f.txt, docs/sub, docs/sub/b.txt and 1 more)"},
		{"clobbering allowed", many, false, ""},
		{"missing destination", []string{"a.txt"}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := dst
			if tc.name == "missing destination" {
				d = filepath.Join(root, "nowhere")
			}
			err := NoClobberTree(LocalFS{}, d, tc.files, filepath.Join, shown, tc.noClobber)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrFileExists) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	got, err := LocalFiles(dst)
	if err != nil || strings.Join(got, ",") != "a.txt,d/e/f.txt,sub/b.txt,sub/c.txt" {
		t.Fatalf("LocalFiles: %v %v", got, err)
	}
}
