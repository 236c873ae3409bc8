package davfs

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/p2p/p2ptest"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

const shareWG = "wg-davfs-test"

func shareMember(name string, p peer.ID) workgroup.Member {
	return workgroup.Member{Workgroup: shareWG, WorkgroupName: "test", Name: name, PeerID: p, NotAfter: time.Now().Add(time.Hour)}
}

// shareNode is a real node: libp2p host on 127.0.0.1, SQLite, share service.
type shareNode struct {
	host *p2p.Host
	dir  *workgroup.StaticDirectory
	svc  *share.Service
}

func newShareNode(t testing.TB, ctx context.Context) *shareNode {
	t.Helper()
	h := p2ptest.New(t, nil)
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	must(t, err)
	t.Cleanup(func() { db.Close() })
	n := &shareNode{host: h, dir: workgroup.NewStaticDirectory(h.ID())}
	n.svc = share.New(db, h.Host, n.dir, nil)
	n.svc.Register()
	t.Cleanup(func() { n.svc.Close() })
	return n
}

// shareFixture is node "me" serving over WebDAV its own share "mine" and
// node "srv"'s shares: docs (me may write), pub (read only) and hidden
// (no access).
type shareFixture struct {
	me              *shareNode
	b               *ShareBackend
	e               *env
	docs, pub, mine string // the share folders
}

func newShareFixture(t *testing.T, ctx context.Context) *shareFixture {
	t.Helper()
	me, srv := newShareNode(t, ctx), newShareNode(t, ctx)
	for _, n := range []*shareNode{me, srv} {
		n.dir.Add(shareMember("me", me.host.ID()))
		n.dir.Add(shareMember("srv", srv.host.ID()))
	}
	me.host.Peerstore().AddAddrs(srv.host.ID(), srv.host.Host.Addrs(), time.Hour)

	docs, pub, secretDir, mine := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	write(t, filepath.Join(docs, "remote.txt"), "from srv")
	must(t, os.Mkdir(filepath.Join(docs, "sub"), 0o755))
	write(t, filepath.Join(pub, "notice.txt"), "read only")
	write(t, filepath.Join(mine, "own.txt"), "my own")
	add := func(n *shareNode, name, dir string, rules ...share.Rule) {
		_, err := n.svc.Configs().Add(ctx, share.Config{Name: name, Workgroup: shareWG, Path: dir, Rules: rules})
		must(t, err)
	}
	add(srv, "docs", docs, share.Rule{Who: "me", Right: "rw"})
	add(srv, "pub", pub) // default: every member reads
	add(srv, "hidden", secretDir, share.Rule{Who: "*", Right: "none"})
	add(me, "mine", mine)

	b, err := NewShareBackend(me.svc, "me", t.TempDir())
	must(t, err)
	t.Cleanup(func() { b.Close() })
	e := &env{t: t, srv: httptest.NewServer(NewHandler(b, testToken, nil))}
	t.Cleanup(e.srv.Close)
	return &shareFixture{me: me, b: b, e: e, docs: docs, pub: pub, mine: mine}
}

// TestShareBackend serves, on node "me", its own share and node "srv"'s
// shares over WebDAV: the real file protocol between two libp2p hosts.
func TestShareBackend(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	f := newShareFixture(t, ctx)
	f.methodSteps(t)
	f.chunkedPut(t)
	f.cutShortPut(t)
	f.unreachableMember(t)
	f.bigFileRanges(t)
}

// methodSteps runs the WebDAV methods on both nodes' shares and checks
// the folders they changed.
func (f *shareFixture) methodSteps(t *testing.T) {
	steps := []struct {
		method, path string
		hdr          map[string]string
		body         string
		want         int
		has, lacks   []string
	}{
		{"PROPFIND", "/", d1, "", 207, []string{"/me/", "/srv/"}, nil},
		{"PROPFIND", "/srv/", d1, "", 207, []string{"/srv/docs/", "/srv/pub/"}, []string{"hidden"}},
		{"PROPFIND", "/me/", d1, "", 207, []string{"/me/mine/"}, nil},
		{"PROPFIND", "/srv/docs/", d1, "", 207, []string{"/srv/docs/remote.txt", "/srv/docs/sub/", "<D:getcontentlength>8<"}, nil},
		{"PROPFIND", "/srv/hidden/", d1, "", 404, nil, nil},
		{"PROPFIND", "/nobody/", d1, "", 404, nil, nil},
		{"GET", "/srv/docs/remote.txt", nil, "", 200, []string{"from srv"}, nil},
		{"GET", "/me/mine/own.txt", nil, "", 200, []string{"my own"}, nil},
		{"GET", "/srv/docs/nope.txt", nil, "", 404, nil, nil},
		{"PUT", "/srv/docs/up.txt", nil, "uploaded", 201, nil, nil},
		{"PUT", "/srv/docs/up.txt", nil, "replaced", 204, nil, nil},
		{"PUT", "/srv/docs/no/such.txt", nil, "x", 409, nil, nil},
		{"PUT", "/srv/pub/x.txt", nil, "x", 403, nil, nil},
		{"PUT", "/me/mine/new.txt", nil, "local", 201, nil, nil},
		{"MKCOL", "/srv/docs/made", nil, "", 201, nil, nil},
		{"MKCOL", "/srv/docs/made", nil, "", 405, nil, nil},
		{"MKCOL", "/srv/docs/x/y", nil, "", 409, nil, nil},
		{"MOVE", "/srv/docs/up.txt", map[string]string{"Destination": f.e.dest("/srv/docs/made/up.txt")}, "", 201, nil, nil},
		{"MOVE", "/srv/docs/nope.txt", map[string]string{"Destination": f.e.dest("/srv/docs/x.txt")}, "", 404, nil, nil},
		{"COPY", "/srv/pub/notice.txt", map[string]string{"Destination": f.e.dest("/me/mine/notice.txt")}, "", 201, nil, nil},
		{"COPY", "/me/mine/own.txt", map[string]string{"Destination": f.e.dest("/srv/docs/own.txt")}, "", 201, nil, nil},
		{"DELETE", "/srv/docs/sub", nil, "", 204, nil, nil},
		{"DELETE", "/srv/pub/notice.txt", nil, "", 403, nil, nil},
	}
	for _, s := range steps {
		r := f.e.do(s.method, s.path, s.hdr, s.body)
		if r.code != s.want {
			t.Errorf("%s %s = %d, want %d\n%s", s.method, s.path, r.code, s.want, r.body)
			continue
		}
		for _, h := range s.has {
			if !strings.Contains(r.body, h) {
				t.Errorf("%s %s lacks %q:\n%s", s.method, s.path, h, r.body)
			}
		}
		for _, h := range s.lacks {
			if strings.Contains(r.body, h) {
				t.Errorf("%s %s shows %q:\n%s", s.method, s.path, h, r.body)
			}
		}
	}
	for p, want := range map[string]string{
		filepath.Join(f.docs, "made", "up.txt"): "replaced",
		filepath.Join(f.docs, "own.txt"):        "my own",
		filepath.Join(f.mine, "new.txt"):        "local",
		filepath.Join(f.mine, "notice.txt"):     "read only",
		filepath.Join(f.pub, "notice.txt"):      "read only",
	} {
		if got := read(t, p); got != want {
			t.Errorf("%s holds %q, want %q", p, got, want)
		}
	}
	if exists(filepath.Join(f.docs, "sub")) || exists(filepath.Join(f.docs, "up.txt")) {
		t.Error("DELETE or MOVE left the source")
	}
}

// chunkedPut: a chunked PUT (no Content-Length) to another node goes
// through the spool; one with a length streams.
func (f *shareFixture) chunkedPut(t *testing.T) {
	req, _ := http.NewRequest("PUT", f.e.srv.URL+"/srv/docs/chunked.txt", io.MultiReader(strings.NewReader("chunked "), strings.NewReader("body")))
	req.SetBasicAuth(User, testToken)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 201 || read(t, filepath.Join(f.docs, "chunked.txt")) != "chunked body" {
		t.Errorf("chunked remote PUT = %d", resp.StatusCode)
	}
	if ents, _ := os.ReadDir(f.b.spool); len(ents) != 0 {
		t.Errorf("spool not emptied: %v", ents)
	}
}

// cutShortPut: a streamed PUT cut short leaves nothing in place on the
// other node.
func (f *shareFixture) cutShortPut(t *testing.T) {
	req, _ := http.NewRequest("PUT", f.e.srv.URL, nil)
	req.SetBasicAuth(User, testToken)
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.e.srv.URL, "http://"))
	must(t, err)
	fmt.Fprintf(conn, "PUT /srv/docs/half.bin HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Length: 100000\r\n\r\n",
		strings.TrimPrefix(f.e.srv.URL, "http://"), req.Header.Get("Authorization"))
	io.WriteString(conn, strings.Repeat("y", 50000))
	time.Sleep(100 * time.Millisecond)
	conn.Close()
	time.Sleep(300 * time.Millisecond)
	if exists(filepath.Join(f.docs, "half.bin")) {
		t.Error("a cut-short PUT left a file on the other node")
	}
}

// unreachableMember: a member that cannot be reached is 503, not 404 or 500.
func (f *shareFixture) unreachableMember(t *testing.T) {
	gk, _, err := crypto.GenerateEd25519Key(nil)
	must(t, err)
	ghost, err := peer.IDFromPrivateKey(gk)
	must(t, err)
	f.me.dir.Add(shareMember("ghost", ghost))
	if r := f.e.do("PROPFIND", "/ghost/", d1, ""); r.code != 503 {
		t.Errorf("PROPFIND of an unreachable member = %d, want 503\n%s", r.code, r.body)
	}
}

// bigFileRanges: a 1 MiB file read through Range requests and whole.
func (f *shareFixture) bigFileRanges(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 1<<16)
	write(t, filepath.Join(f.docs, "big.bin"), big)
	if r := f.e.do("GET", "/srv/docs/big.bin", map[string]string{"Range": "bytes=1000-1015"}, ""); r.code != 206 || r.body != big[1000:1016] {
		t.Errorf("remote range GET = %d %q", r.code, r.body)
	}
	if r := f.e.do("GET", "/srv/docs/big.bin", nil, ""); r.code != 200 || r.body != big {
		t.Errorf("remote GET of 1 MiB = %d, %d bytes", r.code, len(r.body))
	}
}
