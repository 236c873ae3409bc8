package davfs

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// loadLines reads a corpus file: blank lines and # comments skipped.
func loadLines(t *testing.T, name string, unquote bool) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	must(t, err)
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if unquote {
			u, err := strconv.Unquote(`"` + line + `"`)
			if err != nil {
				t.Fatalf("%s: line %q: %v", name, line, err)
			}
			line = u
		}
		out = append(out, line)
	}
	must(t, sc.Err())
	return out
}

// encodePath percent-encodes every byte but ASCII letters, digits and '/'.
func encodePath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '/' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// rawOK reports whether p can go on a request line as it is.
func rawOK(p string) bool {
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c >= 0x7f || c == '%' || c == '?' || c == '#' {
			return false
		}
	}
	return true
}

// snapshot records every name, type and content below dir, skipping the
// share folder skip.
func snapshot(t *testing.T, dir, skip string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == skip {
			return filepath.SkipDir
		}
		line := p + " " + d.Type().String()
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += " " + string(b)
		}
		lines = append(lines, line)
		return nil
	})
	must(t, err)
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestHostilePaths(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := filepath.Dir(e.docs)
	before := snapshot(t, base, e.docs)
	docsBefore := snapshot(t, e.docs, "")

	var targets []string
	rel := loadLines(t, "hostile_paths.txt", true)
	if len(rel) < 100 {
		t.Fatalf("corpus has %d paths; want at least 100", len(rel))
	}
	// The share package's corpus for the file protocol (Go-quoted lines).
	if _, err := os.Stat(filepath.Join("..", "share", "testdata", "hostile_paths.txt")); err == nil {
		for _, l := range loadLines(t, filepath.Join("..", "..", "share", "testdata", "hostile_paths.txt"), false) {
			u, err := strconv.Unquote(strings.TrimSpace(l))
			if err != nil {
				t.Fatalf("share corpus line %q: %v", l, err)
			}
			rel = append(rel, u)
		}
	}
	for _, p := range rel {
		targets = append(targets, "/alpha/docs/"+encodePath(p))
		if rawOK(p) {
			targets = append(targets, "/alpha/docs/"+p)
		}
	}
	targets = append(targets, loadLines(t, "hostile_urls.txt", false)...)

	methods := []string{"GET", "HEAD", "PUT", "DELETE", "MKCOL", "PROPFIND", "PROPPATCH", "LOCK", "COPY", "MOVE"}
	checkReply := func(what string, r reply) {
		t.Helper()
		if r.code < 400 {
			t.Errorf("%s: %d, want a refusal\n%s", what, r.code, r.body)
		}
		if strings.Contains(r.body, secret) || strings.Contains(r.body, e.outside) || strings.Contains(r.body, "root:") {
			t.Errorf("%s revealed something outside the share:\n%s", what, r.body)
		}
	}
	for _, target := range targets {
		for _, m := range methods {
			hdr := map[string]string{"Depth": "0", "Destination": e.dest("/alpha/docs/copied.txt")}
			body := ""
			if m == "PUT" {
				body = "overwritten"
			}
			checkReply(m+" "+target, e.do(m, target, hdr, body))
		}
		// As the Destination of a COPY and a MOVE of a real file.
		for _, m := range []string{"COPY", "MOVE"} {
			hdr := map[string]string{"Destination": e.srv.URL + target, "Overwrite": "T"}
			checkReply(m+" hello.txt -> "+target, e.do(m, "/alpha/docs/hello.txt", hdr, ""))
		}
	}
	t.Logf("%d hostile targets x %d methods + 2 Destination uses", len(targets), len(methods))
	if after := snapshot(t, base, e.docs); after != before {
		t.Errorf("something outside the share changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if after := snapshot(t, e.docs, ""); after != docsBefore {
		t.Errorf("the share changed:\nbefore:\n%s\nafter:\n%s", docsBefore, after)
	}
}

// TestHostileShareAndNodeNames covers the levels above a share.
func TestHostileShareAndNodeNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, target := range []string{
		"/..", "/../", "/alpha/..", "/alpha/../..", "/%2e%2e/alpha/docs/hello.txt",
		"/alpha/%2e%2e/alpha/docs/hello.txt", "/ALPHA%00/docs", "/alpha/docs%00/hello.txt",
		"/alpha/do%5ccs/hello.txt", "/alpha/CON/", "/alpha/.peerhood-x/",
	} {
		for _, m := range []string{"GET", "PROPFIND", "PUT", "MKCOL", "DELETE"} {
			r := e.do(m, target, map[string]string{"Depth": "0"}, "")
			if r.code < 400 {
				t.Errorf("%s %s = %d, want a refusal", m, target, r.code)
			}
		}
	}
}

// TestDoubleEncodingIsLiteral: a path is decoded once; "%2e%2e%2f" that
// results is a plain name inside the share.
func TestDoubleEncodingIsLiteral(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.do("PUT", "/alpha/docs/%252e%252e%252fx", nil, "literal"); r.code != 201 {
		t.Fatalf("PUT = %d %s", r.code, r.body)
	}
	if got := read(t, filepath.Join(e.docs, "%2e%2e%2fx")); got != "literal" {
		t.Fatalf("file holds %q", got)
	}
}
