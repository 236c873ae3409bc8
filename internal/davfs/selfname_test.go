package davfs

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/share"
)

// A node that joined as "laptop" (join --name laptop) while its node
// name is "bravo" is "laptop" in WebDAV too, as in the CLI and browse:
// the root lists it once, under that name; its own shares are served at
// /laptop/...; /bravo/ is no node.
func TestSelfListedUnderMemberName(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	me, srv := newShareNode(t, ctx), newShareNode(t, ctx)
	for _, n := range []*shareNode{me, srv} {
		n.dir.Add(shareMember("laptop", me.host.ID()))
		n.dir.Add(shareMember("srv", srv.host.ID()))
	}
	mine := t.TempDir()
	write(t, filepath.Join(mine, "own.txt"), "mine")
	_, err := me.svc.Configs().Add(ctx, share.Config{Name: "mine", Workgroup: shareWG, Path: mine})
	must(t, err)
	b, err := NewShareBackend(me.svc, "bravo", t.TempDir())
	must(t, err)
	t.Cleanup(func() { b.Close() })

	nodes, err := b.Nodes(ctx)
	must(t, err)
	if !slices.Equal(nodes, []string{"laptop", "srv"}) {
		t.Fatalf("root lists %v, want [laptop srv]", nodes)
	}
	if fi, err := b.Stat(ctx, "laptop", "mine", "own.txt"); err != nil || fi.Size != 4 {
		t.Fatalf("/laptop/mine/own.txt: %+v %v", fi, err)
	}
	if _, err := b.Shares(ctx, "bravo"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("/bravo/: %v, want not found", err)
	}
}
