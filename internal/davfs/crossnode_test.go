package davfs

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/share"
)

// twoNodes is node "me" serving WebDAV, with its share "mine", and node
// "srv" with share "docs" that me may write.
type twoNodes struct {
	e          *env
	docs, mine string
	spool      string // where me's gateway stages uploads to srv
	srv        *shareNode
}

// ownerGateway is srv's own WebDAV gateway (its share "docs" served from
// its disk).
func (tn *twoNodes) ownerGateway(t *testing.T) *env {
	t.Helper()
	b, err := NewShareBackend(tn.srv.svc, "srv", t.TempDir())
	must(t, err)
	t.Cleanup(func() { b.Close() })
	e := &env{t: t, srv: httptest.NewServer(NewHandler(b, testToken, nil))}
	t.Cleanup(e.srv.Close)
	return e
}

func newTwoNodes(t *testing.T) *twoNodes {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	me, srv := newShareNode(t, ctx), newShareNode(t, ctx)
	for _, n := range []*shareNode{me, srv} {
		n.dir.Add(shareMember("me", me.host.ID()))
		n.dir.Add(shareMember("srv", srv.host.ID()))
	}
	me.host.Peerstore().AddAddrs(srv.host.ID(), srv.host.Host.Addrs(), time.Hour)
	tn := &twoNodes{docs: t.TempDir(), mine: t.TempDir(), srv: srv}
	_, err := srv.svc.Configs().Add(ctx, share.Config{Name: "docs", Workgroup: shareWG, Path: tn.docs, Rules: []share.Rule{{Who: "me", Right: "rw"}}})
	must(t, err)
	_, err = me.svc.Configs().Add(ctx, share.Config{Name: "mine", Workgroup: shareWG, Path: tn.mine})
	must(t, err)
	tn.spool = t.TempDir()
	b, err := NewShareBackend(me.svc, "me", tn.spool)
	must(t, err)
	t.Cleanup(func() { b.Close() })
	tn.e = &env{t: t, srv: httptest.NewServer(NewHandler(b, testToken, nil))}
	t.Cleanup(tn.e.srv.Close)
	return tn
}

// TestMoveAcrossNodesKeepsUnservable: a MOVE between nodes never deletes
// what it did not carry: a refused name stops it before anything is
// written; a link the remote node hides is left in place (its folder is
// removed only when empty, and the answer names it).
func TestMoveAcrossNodesKeepsUnservable(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the names and links are Unix ones")
	}
	n := newTwoNodes(t)
	e := n.e
	outside := t.TempDir()
	write(t, filepath.Join(outside, "secret.txt"), "outside")

	// A name the gateway refuses, on the remote node.
	must(t, os.MkdirAll(filepath.Join(n.docs, "proj"), 0o755))
	write(t, filepath.Join(n.docs, "proj", "a.txt"), "a")
	write(t, filepath.Join(n.docs, "proj", "aux.txt"), "precious")
	r := e.do("MOVE", "/srv/docs/proj/", map[string]string{"Destination": e.dest("/me/mine/proj/")}, "")
	if r.code != 207 {
		t.Errorf("MOVE remote folder with aux.txt = %d, want 207\n%s", r.code, r.body)
	}
	if read(t, filepath.Join(n.docs, "proj", "aux.txt")) != "precious" || read(t, filepath.Join(n.docs, "proj", "a.txt")) != "a" {
		t.Error("the remote source lost a file")
	}
	if exists(filepath.Join(n.mine, "proj")) {
		t.Error("a refused MOVE wrote the destination")
	}

	// A name the gateway refuses, on this node, moved to the remote one.
	must(t, os.MkdirAll(filepath.Join(n.mine, "p3"), 0o755))
	write(t, filepath.Join(n.mine, "p3", "a.txt"), "a")
	write(t, filepath.Join(n.mine, "p3", "nul"), "precious")
	r = e.do("MOVE", "/me/mine/p3/", map[string]string{"Destination": e.dest("/srv/docs/p3/")}, "")
	if r.code != 207 || read(t, filepath.Join(n.mine, "p3", "nul")) != "precious" || exists(filepath.Join(n.docs, "p3")) {
		t.Errorf("MOVE local folder with nul to a remote node = %d; source or destination changed\n%s", r.code, r.body)
	}

	// A link leaving the remote share, which the files protocol hides.
	must(t, os.MkdirAll(filepath.Join(n.docs, "p2", "sub"), 0o755))
	write(t, filepath.Join(n.docs, "p2", "sub", "b.txt"), "b")
	must(t, os.Symlink(outside, filepath.Join(n.docs, "p2", "sub", "out")))
	r = e.do("MOVE", "/srv/docs/p2/", map[string]string{"Destination": e.dest("/me/mine/p2/")}, "")
	if r.code != 207 {
		t.Errorf("MOVE remote folder with a hidden link = %d, want 207\n%s", r.code, r.body)
	}
	if _, err := os.Lstat(filepath.Join(n.docs, "p2", "sub", "out")); err != nil {
		t.Errorf("the hidden link was deleted: %v", err)
	}
	if read(t, filepath.Join(n.mine, "p2", "sub", "b.txt")) != "b" || read(t, filepath.Join(outside, "secret.txt")) != "outside" {
		t.Error("the carried file or the link's target is wrong")
	}
}

// TestEscapingLinksAnswerAlikeEverywhere: a link leaving a share answers
// exactly as a name that does not exist, through the owner's gateway and
// through a member's: neither reveals that the link is there.
func TestEscapingLinksAnswerAlikeEverywhere(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks")
	}
	n := newTwoNodes(t)
	owner, member := n.ownerGateway(t), n.e
	outside := t.TempDir()
	write(t, filepath.Join(outside, "secret.txt"), "outside")
	write(t, filepath.Join(n.docs, "ok.txt"), "ok")
	for name, target := range map[string]string{"out": outside, "outfile": filepath.Join(outside, "secret.txt"),
		"abs": "/etc", "up": "..", "loop": "loop", "broken": filepath.Join(outside, "nothing")} {
		must(t, os.Symlink(target, filepath.Join(n.docs, name)))
	}
	type answer struct {
		code int
		body string
	}
	ask := func(e *env, method, p string) answer {
		hdr := map[string]string{"Depth": "0", "Destination": e.dest("/srv/docs/moved")}
		body := ""
		if method == "PUT" {
			body = "x"
		}
		r := e.do(method, p, hdr, body)
		return answer{r.code, strings.ReplaceAll(r.body, e.srv.URL, "")}
	}
	for _, method := range []string{"GET", "HEAD", "PROPFIND", "DELETE", "MOVE", "COPY", "PROPPATCH"} {
		missing := ask(owner, method, "/srv/docs/nosuch")
		for _, name := range []string{"out", "outfile", "abs", "up", "loop", "broken", "out/secret.txt", "abs/passwd", "nosuch"} {
			// The answer for a missing name, with the name swapped in.
			want := answer{missing.code, strings.ReplaceAll(missing.body, "nosuch", name)}
			for gw, e := range map[string]*env{"owner": owner, "member": member} {
				if got := ask(e, method, "/srv/docs/"+name); got != want {
					t.Errorf("%s %s through the %s's gateway = %d %q, want %d %q (as a missing name)",
						method, name, gw, got.code, got.body, want.code, want.body)
				}
			}
		}
	}
	if read(t, filepath.Join(outside, "secret.txt")) != "outside" {
		t.Fatal("the file outside changed")
	}
}
