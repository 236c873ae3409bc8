package davfs

import (
	"errors"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParsePath(t *testing.T) {
	t.Parallel()
	ok := []struct {
		in   string
		want Target
	}{
		{"/", Target{}},
		{"/alpha", Target{Node: "alpha"}},
		{"/alpha/", Target{Node: "alpha"}},
		{"/alpha/docs", Target{Node: "alpha", Share: "docs"}},
		{"/alpha/docs/", Target{Node: "alpha", Share: "docs"}},
		{"/alpha/docs/a/b.txt", Target{Node: "alpha", Share: "docs", Path: "a/b.txt"}},
		{"/alpha/docs/a/b/", Target{Node: "alpha", Share: "docs", Path: "a/b"}},
		{"/alpha/docs/été 2024.jpg", Target{Node: "alpha", Share: "docs", Path: "été 2024.jpg"}},
		{"/alpha/docs/.hidden", Target{Node: "alpha", Share: "docs", Path: ".hidden"}},
		{"/alpha/docs/a..b", Target{Node: "alpha", Share: "docs", Path: "a..b"}},
		{"/alpha/docs/100%.txt", Target{Node: "alpha", Share: "docs", Path: "100%.txt"}},
		{"/alpha/docs/CONSOLE", Target{Node: "alpha", Share: "docs", Path: "CONSOLE"}},
		{"/alpha/docs/COM10", Target{Node: "alpha", Share: "docs", Path: "COM10"}},
	}
	for _, c := range ok {
		got, err := ParsePath(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParsePath(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
		if err == nil {
			back, err := ParsePath(got.String())
			if err != nil || back != got {
				t.Errorf("round trip of %q: %+v, %v", c.in, back, err)
			}
		}
	}
	bad := []string{
		"", "alpha", "//", "/alpha//docs", "/..", "/alpha/..", "/alpha/docs/..", "/alpha/docs/./x",
		"/alpha/docs/a\\b", "/alpha/docs/a\x00", "/alpha/docs/\xff", "/alpha/docs/con", "/alpha/docs/Com1.txt",
		"/alpha/docs/lpt¹", "/alpha/docs/x.", "/alpha/docs/x ", "/alpha/docs/ x", "/alpha/docs/a:b",
		"/alpha/docs/a\nb", "/alpha/docs/" + strings.Repeat("a", 256), "/" + strings.Repeat("a/", 80),
		"/" + strings.Repeat("a", MaxPathLen+1), "/alpha/docs/.peerhood-part-1", "/alpha/docs/a\u202eb",
	}
	for _, in := range bad {
		if got, err := ParsePath(in); !errors.Is(err, ErrBadPath) {
			t.Errorf("ParsePath(%q) = %+v, %v; want ErrBadPath", in, got, err)
		}
	}
}

// FuzzParsePath checks that whatever ParsePath accepts stays below a
// share when joined to its folder, round-trips, and holds no forbidden
// byte.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"/", "/alpha/docs/a/b.txt", "/alpha/docs/../x", "/a/b/c\\d", "/a/b/\x00", "/a/b/CON.txt", "/a//b", "/a/b/c/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tg, err := ParsePath(in)
		if err != nil {
			if !errors.Is(err, ErrBadPath) {
				t.Fatalf("error %v does not wrap ErrBadPath", err)
			}
			return
		}
		if !utf8.ValidString(in) {
			t.Fatalf("accepted invalid UTF-8 %q", in)
		}
		for _, part := range []string{tg.Node, tg.Share, tg.Path} {
			if strings.ContainsAny(part, "\\\x00:") {
				t.Fatalf("accepted %q", part)
			}
		}
		if tg.Path != "" {
			for _, c := range strings.Split(tg.Path, "/") {
				if c == "" || c == "." || c == ".." {
					t.Fatalf("accepted component %q in %q", c, in)
				}
			}
			if path.Clean(tg.Path) != tg.Path || path.IsAbs(tg.Path) {
				t.Fatalf("accepted unclean %q", tg.Path)
			}
			root := filepath.FromSlash("/srv/share")
			j := filepath.Join(root, filepath.FromSlash(tg.Path))
			if !strings.HasPrefix(j, root+string(filepath.Separator)) {
				t.Fatalf("%q leaves the share: %s", in, j)
			}
		}
		back, err := ParsePath(tg.String())
		if err != nil || back != tg {
			t.Fatalf("round trip of %q: %+v, %v", in, back, err)
		}
	})
}
