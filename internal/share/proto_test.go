package share

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestProtocolOperations(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Rule{Who: "*", Right: "rw"})
	c := e.client("alice")
	e.write("a.txt", []byte("hello world"))
	e.write("sub/b.txt", []byte("bee"))

	shares, err := c.Shares(e.ctx)
	if err != nil || len(shares) != 1 || shares[0].Name != "docs" || shares[0].Right != ReadWrite {
		t.Fatalf("shares: %+v %v", shares, err)
	}
	tests := append(readOps(e, c), writeOps(e, c)...) // reads first: the writes change the tree
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// protoOp is one operation of TestProtocolOperations, an error when it
// did not do what it should.
type protoOp struct {
	name string
	run  func() error
}

// readOps: stat, readdir and ranged reads of a.txt (11 bytes) and sub/.
func readOps(e *env, c *Client) []protoOp {
	return []protoOp{
		{"stat file", func() error {
			en, err := c.Stat(e.ctx, "docs", "a.txt")
			if err != nil || en.Size != 11 || en.Dir || en.Name != "a.txt" {
				return fmt.Errorf("%+v %v", en, err)
			}
			return nil
		}},
		{"stat root", func() error {
			en, err := c.Stat(e.ctx, "docs", "/")
			if err != nil || !en.Dir {
				return fmt.Errorf("%+v %v", en, err)
			}
			return nil
		}},
		{"readdir", func() error {
			es, err := c.ReadDir(e.ctx, "docs", ".")
			if err != nil || len(es) != 2 || es[0].Name != "a.txt" || es[1].Name != "sub" || !es[1].Dir {
				return fmt.Errorf("%+v %v", es, err)
			}
			return nil
		}},
		{"read range", func() error {
			p := make([]byte, 5)
			n, err := c.ReadAt(e.ctx, "docs", "a.txt", p, 6)
			if err != nil || n != 5 || string(p) != "world" {
				return fmt.Errorf("%q %d %v", p, n, err)
			}
			return nil
		}},
		{"read past end is short", func() error {
			p := make([]byte, 10)
			n, err := c.ReadAt(e.ctx, "docs", "a.txt", p, 8)
			if n != 3 || err != io.EOF || string(p[:n]) != "rld" {
				return fmt.Errorf("%q %d %v", p[:n], n, err)
			}
			return nil
		}},
		{"read missing", func() error {
			_, err := c.OpenRead(e.ctx, "docs", "nope", 0, 0)
			if !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("got %v", err)
			}
			return nil
		}},
	}
}

// writeOps: put, mkdir, rename and remove, each checked on disk.
func writeOps(e *env, c *Client) []protoOp {
	return []protoOp{
		{"put keeps mtime and content", func() error {
			mt := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
			en, err := c.Put(e.ctx, "docs", "sub/new.bin", bytes.NewReader([]byte("payload")), 7, mt)
			if err != nil || en.Size != 7 {
				return fmt.Errorf("%+v %v", en, err)
			}
			b, _ := os.ReadFile(filepath.Join(e.root, "sub", "new.bin"))
			fi, _ := os.Stat(filepath.Join(e.root, "sub", "new.bin"))
			if string(b) != "payload" || !fi.ModTime().Equal(mt) {
				return fmt.Errorf("content %q mtime %v", b, fi.ModTime())
			}
			return nil
		}},
		{"put short source leaves nothing", func() error {
			_, err := c.Put(e.ctx, "docs", "short.bin", strings.NewReader("abc"), 10, time.Time{})
			if err == nil {
				return fmt.Errorf("no error")
			}
			if _, err := os.Stat(filepath.Join(e.root, "short.bin")); !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("final name exists: %v", err)
			}
			return nil
		}},
		{"mkdir", func() error {
			if err := c.Mkdir(e.ctx, "docs", "x/y"); err != nil {
				return err
			}
			if fi, err := os.Stat(filepath.Join(e.root, "x", "y")); err != nil || !fi.IsDir() {
				return fmt.Errorf("not created: %v", err)
			}
			return nil
		}},
		{"rename", func() error {
			if err := c.Rename(e.ctx, "docs", "sub/b.txt", "x/b2.txt"); err != nil {
				return err
			}
			if b, err := os.ReadFile(filepath.Join(e.root, "x", "b2.txt")); err != nil || string(b) != "bee" {
				return fmt.Errorf("%q %v", b, err)
			}
			return nil
		}},
		{"remove non-empty needs recursive", func() error {
			if err := c.Remove(e.ctx, "docs", "x", false); err == nil {
				return fmt.Errorf("removed a non-empty folder")
			}
			if err := c.Remove(e.ctx, "docs", "x", true); err != nil {
				return err
			}
			if _, err := os.Stat(filepath.Join(e.root, "x")); !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("still there")
			}
			return nil
		}},
		{"remove share root refused", func() error {
			if err := c.Remove(e.ctx, "docs", ".", true); !errors.Is(err, ErrBadPath) {
				return fmt.Errorf("got %v", err)
			}
			return nil
		}},
		{"unknown share", func() error {
			if _, err := c.Stat(e.ctx, "nosuch", "."); !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("got %v", err)
			}
			return nil
		}},
	}
}

func TestReadDirLarge(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("alice")
	const n = 5000 // more than two batches; BenchmarkReadDir10k times 10,000
	for i := range n {
		if err := os.WriteFile(filepath.Join(e.root, fmt.Sprintf("f%05d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	batches := 0
	var got []Entry
	err := c.ReadDirFunc(e.ctx, "docs", ".", func(es []Entry) error {
		batches++
		got = append(got, es...)
		return nil
	})
	if err != nil || len(got) != n || batches < 2 {
		t.Fatalf("got %d entries in %d batches: %v", len(got), batches, err)
	}
	if got[0].Name != "f00000" || got[n-1].Name != fmt.Sprintf("f%05d", n-1) {
		t.Fatalf("order: %s..%s", got[0].Name, got[n-1].Name)
	}
}

func TestPartialFilesHidden(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Rule{Who: "*", Right: "rw"})
	c := e.client("alice")
	e.write(partPrefix+"0123456789abcdef", []byte("half"))
	es, err := c.ReadDir(e.ctx, "docs", ".")
	if err != nil || len(es) != 0 {
		t.Fatalf("partial listed: %+v %v", es, err)
	}
	if _, err := c.Stat(e.ctx, "docs", partPrefix+"0123456789abcdef"); !errors.Is(err, ErrBadPath) {
		t.Fatalf("partial reachable: %v", err)
	}
}
