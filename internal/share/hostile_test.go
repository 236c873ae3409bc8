package share

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func loadHostile(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("testdata/hostile_paths.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p, err := strconv.Unquote(line)
		if err != nil {
			t.Fatalf("corpus line %q: %v", line, err)
		}
		out = append(out, p)
	}
	if len(out) < 100 {
		t.Fatalf("corpus has %d paths, want at least 100", len(out))
	}
	return out
}

// snapshot records every file under dir with its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			m[p] = string(b)
		} else {
			m[p] = d.Type().String()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Every hostile path is refused by every operation of the file protocol,
// for a member with full rights, and nothing outside the share changes.
func TestHostilePaths(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Rule{Who: "*", Right: "rw"})
	c := e.client("alice")
	e.write("ok.txt", []byte("ok"))
	outside := filepath.Join(e.base, "outside")
	links := map[string]string{
		"link_out":      "../outside",
		"abs_link":      "/etc",
		"link_up":       "..",
		"sub/link_out2": "../../outside",
		"link_file":     "../outside/secret.txt",
		"deep/link_up2": "../..",
		"link_loop":     "link_loop",
	}
	for name, target := range links {
		p := filepath.Join(e.root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshot(t, e.base)
	for _, p := range loadHostile(t) {
		ops := map[string]func() error{
			"stat":    func() error { _, err := c.Stat(e.ctx, "docs", p); return err },
			"readdir": func() error { _, err := c.ReadDir(e.ctx, "docs", p); return err },
			"read": func() error {
				r, err := c.OpenRead(e.ctx, "docs", p, 0, 0)
				if err == nil {
					r.Close()
				}
				return err
			},
			"put": func() error {
				_, err := c.Put(e.ctx, "docs", p, bytes.NewReader([]byte("evil")), 4, time.Time{})
				return err
			},
			"mkdir":       func() error { return c.Mkdir(e.ctx, "docs", p) },
			"remove":      func() error { return c.Remove(e.ctx, "docs", p, true) },
			"rename from": func() error { return c.Rename(e.ctx, "docs", p, "moved") },
			"rename to":   func() error { return c.Rename(e.ctx, "docs", "ok.txt", p) },
		}
		for op, run := range ops {
			if err := run(); err == nil {
				t.Errorf("%s %q: accepted", op, p)
			} else if strings.Contains(err.Error(), "secret") && !strings.Contains(p, "secret") {
				t.Errorf("%s %q: error leaks content: %v", op, p, err)
			}
		}
	}
	after := snapshot(t, e.base)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed: %q -> %q", k, v, after[k])
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("%s appeared", k)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "secret.txt")); string(b) != "secret" {
		t.Fatalf("outside file changed")
	}
}

func TestCleanPath(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"": ".", "/": ".", ".": ".", "a": "a", "/a/b/": "a/b", "a//b": "a/b", "./a/./b": "a/b",
		"été/naïve.txt": "été/naïve.txt", "a b/c-d_e.tar.gz": "a b/c-d_e.tar.gz", ".hidden": ".hidden",
		"console": "console", "COM10": "COM10", "nul-ish": "nul-ish",
	}
	for in, want := range good {
		got, err := CleanPath(in)
		if err != nil || got != want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, p := range loadHostile(t) {
		if strings.Contains(p, "link_") || strings.Contains(p, "abs_link") {
			continue // refused by os.Root, not by the syntax check
		}
		if _, err := CleanPath(p); !errors.Is(err, ErrBadPath) {
			t.Errorf("CleanPath(%q) accepted", p)
		}
	}
}

// The same corpus against Local directly (what WebDAV and the local CLI
// use): every operation refuses, nothing outside changes.
func TestHostilePathsLocal(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root := filepath.Join(base, "share")
	os.MkdirAll(filepath.Join(base, "outside"), 0o755)
	os.WriteFile(filepath.Join(base, "outside", "secret.txt"), []byte("secret"), 0o644)
	os.MkdirAll(filepath.Join(root, "sub"), 0o755)
	os.MkdirAll(filepath.Join(root, "deep"), 0o755)
	os.WriteFile(filepath.Join(root, "ok.txt"), []byte("ok"), 0o644)
	for name, target := range map[string]string{"link_out": "../outside", "abs_link": "/etc", "link_up": "..",
		"sub/link_out2": "../../outside", "link_file": "../outside/secret.txt", "deep/link_up2": "../..", "link_loop": "link_loop"} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	l, err := OpenLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	before := snapshot(t, base)
	for _, p := range loadHostile(t) {
		ops := map[string]func() error{
			"stat":    func() error { _, err := l.Stat(p); return err },
			"readdir": func() error { return l.ReadDir(p, 0, func([]Entry) error { return nil }) },
			"open": func() error {
				f, _, err := l.Open(p)
				if err == nil {
					f.Close()
				}
				return err
			},
			"create": func() error {
				part, err := l.CreatePartial(p, 4, 0, false)
				if err == nil {
					part.Discard()
				}
				return err
			},
			"mkdir":       func() error { return l.Mkdir(p) },
			"remove":      func() error { return l.Remove(p, true) },
			"rename from": func() error { return l.Rename(p, "moved") },
			"rename to":   func() error { return l.Rename("ok.txt", p) },
		}
		for op, run := range ops {
			if err := run(); err == nil {
				t.Errorf("%s %q: accepted", op, p)
			}
		}
	}
	after := snapshot(t, base)
	if len(after) != len(before) {
		t.Fatalf("files changed: %d before, %d after", len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed", k)
		}
	}
}
