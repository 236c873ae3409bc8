package share

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// incomingShare is node bravo's share docs (in root/docs): every member
// reads, alice writes, eve has no access. mem makes a member of its
// workgroup.
func incomingShare(t *testing.T) (s *Service, root, docs string, mem func(name string) workgroup.Member) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	const wg = "wg-incoming"
	self := workgroup.Member{Workgroup: wg, Name: "bravo", PeerID: peer.ID("self"), NotAfter: time.Now().Add(time.Hour)}
	dir := workgroup.NewStaticDirectory(self.PeerID)
	dir.Add(self)
	mem = func(name string) workgroup.Member {
		return workgroup.Member{Workgroup: wg, Name: name, PeerID: peer.ID(name), NotAfter: time.Now().Add(time.Hour)}
	}
	s = New(db, nil, dir, nil)
	root = t.TempDir()
	docs = filepath.Join(root, "docs")
	if err := os.Mkdir(docs, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Configs().Add(context.Background(), Config{Name: "docs", Workgroup: wg, Path: docs,
		Rules: []Rule{{Who: "*", Right: "ro"}, {Who: "alice", Right: "rw"}, {Who: "eve", Right: RightNone}}}); err != nil {
		t.Fatal(err)
	}
	return s, root, docs, mem
}

func TestCheckWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, _, mem := incomingShare(t)
	for _, c := range []struct {
		who, share string
		want       error
		reason     string
	}{
		{"alice", "docs", nil, ""},
		{"carol", "docs", ErrForbidden, "bravo's share docs is read-only for you"},
		{"eve", "docs", ErrNotFound, `no share "docs"`},
		{"alice", "nosuch", ErrNotFound, `no share "nosuch"`},
	} {
		err := s.CheckWrite(ctx, mem(c.who), c.share)
		if !errors.Is(err, c.want) || (c.reason != "" && !strings.Contains(err.Error(), c.reason)) {
			t.Errorf("%s on %s: %v", c.who, c.share, err)
		}
	}
}

func TestWriteFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, root, docs, mem := incomingShare(t)
	alice := mem("alice")
	data := []byte("hello world")
	got, err := s.WriteFiles(ctx, alice, "docs", []string{"a/b.txt", "c.txt"}, []int64{5, 6}, bytes.NewReader(data))
	if err != nil || len(got) != 2 {
		t.Fatalf("write: %v %v", got, err)
	}
	if b, _ := os.ReadFile(filepath.Join(docs, "a", "b.txt")); string(b) != "hello" {
		t.Fatalf("b.txt = %q", b)
	}
	// Refused: climbing out, an existing file (earlier files of the call
	// are removed), a short reader, a read-only member.
	for name, f := range map[string]func() error{
		"escape": func() error {
			_, err := s.WriteFiles(ctx, alice, "docs", []string{"../x"}, []int64{1}, bytes.NewReader(data))
			return err
		},
		"exists": func() error {
			_, err := s.WriteFiles(ctx, alice, "docs", []string{"new.txt", "c.txt"}, []int64{1, 1}, bytes.NewReader(data))
			return err
		},
		"short": func() error {
			_, err := s.WriteFiles(ctx, alice, "docs", []string{"short.txt"}, []int64{100}, bytes.NewReader(data))
			return err
		},
		"readonly": func() error {
			_, err := s.WriteFiles(ctx, mem("carol"), "docs", []string{"carol.txt"}, []int64{1}, bytes.NewReader(data))
			return err
		},
	} {
		if f() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "x")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a file escaped the share")
	}
	ents, _ := os.ReadDir(docs)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "a,c.txt" {
		t.Fatalf("share holds %v after refused writes", names)
	}
}
