package share

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/p2p/p2ptest"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

const testWG = "wg-test-id"

func newHost(t testing.TB, k crypto.PrivKey) *p2p.Host {
	t.Helper()
	return p2ptest.New(t, k)
}

// env is a sharing node "srv" with share "docs" over a temp folder, and
// member hosts that talk to it.
type env struct {
	t       testing.TB
	ctx     context.Context
	srvKey  crypto.PrivKey
	srvHost *p2p.Host
	dir     *workgroup.StaticDirectory
	svc     *Service
	db      *store.DB
	base    string // parent of the share folder, holds outside/
	root    string // the share folder
}

func member(name string, p peer.ID, groups ...string) workgroup.Member {
	return workgroup.Member{Workgroup: testWG, WorkgroupName: "test", Name: name, PeerID: p, Groups: groups, NotAfter: time.Now().Add(time.Hour)}
}

func newEnv(t testing.TB, rules ...Rule) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	e := &env{t: t, ctx: ctx, base: t.TempDir()}
	e.root = filepath.Join(e.base, "share")
	for _, d := range []string{e.root, filepath.Join(e.base, "outside")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(e.base, "outside", "secret.txt"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	var err error
	e.srvKey, _, _ = crypto.GenerateEd25519Key(nil)
	e.srvHost = newHost(t, e.srvKey)
	e.dir = workgroup.NewStaticDirectory(e.srvHost.ID(), member("srv", e.srvHost.ID()))
	e.db, err = store.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	e.svc = New(e.db, e.srvHost.Host, e.dir, nil)
	e.svc.Register()
	if _, err := e.svc.Configs().Add(ctx, Config{Name: "docs", Workgroup: testWG, Path: e.root, Rules: rules}); err != nil {
		t.Fatal(err)
	}
	return e
}

// client makes a host that is member name (groups...) of the workgroup
// (or, with name "", of nothing) and connects it to srv.
func (e *env) client(name string, groups ...string) *Client {
	e.t.Helper()
	h := newHost(e.t, nil)
	if name != "" {
		e.dir.Add(member(name, h.ID(), groups...))
	}
	h.Peerstore().AddAddrs(e.srvHost.ID(), e.srvHost.Host.Addrs(), time.Hour)
	return NewClient(h.Host, e.srvHost.ID())
}

func (e *env) write(rel string, data []byte) {
	e.t.Helper()
	p := filepath.Join(e.root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// restartServer closes the sharing host and starts it again with the
// same key on a new port, as a node that was killed and restarted.
func (e *env) restartServer(clients ...*Client) {
	e.t.Helper()
	e.srvHost.Close()
	e.srvHost = newHost(e.t, e.srvKey)
	e.svc = New(e.db, e.srvHost.Host, e.dir, nil)
	e.svc.Register()
	for _, c := range clients {
		c.h.Peerstore().ClearAddrs(e.srvHost.ID())
		c.h.Peerstore().AddAddrs(e.srvHost.ID(), e.srvHost.Host.Addrs(), time.Hour)
	}
}

// routedService is the share service of a node that is "me" in workgroup
// wg1 ("office") with the others given, its control-API routes mounted on
// the returned server: what the endpoint tests drive.
func routedService(t *testing.T, others ...workgroup.Member) (*Service, *api.Server) {
	t.Helper()
	h := newHost(t, nil)
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	me := workgroup.Member{Workgroup: "wg1", WorkgroupName: "office", Name: "me", PeerID: h.ID(), NotAfter: time.Now().Add(time.Hour)}
	svc := New(db, h.Host, workgroup.NewStaticDirectory(h.ID(), append([]workgroup.Member{me}, others...)...), nil)
	srv := api.NewServer(nil, nil)
	svc.Routes(srv)
	return svc, srv
}
