package spool

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/p2p/p2ptest"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

const testWG = "wg-test-0001"

// tnode is one in-process node: real libp2p host, real SQLite, real keys.
type tnode struct {
	t      testing.TB
	name   string
	home   string
	id     *identity.Identity
	roles  []string
	dir    *workgroup.StaticDirectory
	host   *p2p.Host
	db     *store.DB
	svc    *Service
	mutate func(*Config)
}

func newTNode(t testing.TB, name string, roles ...string) *tnode {
	t.Helper()
	home := t.TempDir()
	id, _, err := identity.LoadOrCreate(home)
	if err != nil {
		t.Fatal(err)
	}
	return &tnode{t: t, name: name, home: home, id: id, roles: roles}
}

func (n *tnode) member() workgroup.Member {
	return workgroup.Member{Workgroup: testWG, WorkgroupName: "test", Name: n.name, PeerID: n.id.PeerID,
		AgeRecipient: n.id.AgeRecipient(), Roles: n.roles, NotAfter: time.Now().Add(time.Hour)}
}

// group gives every node a directory listing all of them.
func group(nodes ...*tnode) {
	for _, n := range nodes {
		n.dir = workgroup.NewStaticDirectory(n.id.PeerID)
		for _, m := range nodes {
			n.dir.Add(m.member())
		}
	}
}

var quietLog = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

func (n *tnode) start() {
	n.t.Helper()
	n.startHost()
	n.startService()
}

// startHost starts n's host and opens its database, without the spool
// service (a node still starting: startService then starts it).
func (n *tnode) startHost() {
	n.t.Helper()
	h := p2ptest.New(n.t, n.id.Key, p2ptest.WithLog(quietLog))
	db, err := store.Open(context.Background(), filepath.Join(n.home, "state.db"))
	if err != nil {
		n.t.Fatal(err)
	}
	n.host, n.db = h, db
}

func (n *tnode) startService() {
	n.t.Helper()
	h, db := n.host, n.db
	cfg := Config{Host: h, DB: db, Identity: n.id, Dir: n.dir, SpoolDir: filepath.Join(n.home, "spool"), Log: quietLog.With("node", n.name),
		RetryBase: 100 * time.Millisecond, RetryCap: 2 * time.Second, Tick: 50 * time.Millisecond, FetchInterval: 300 * time.Millisecond,
		DialTimeout: time.Second}
	if n.mutate != nil {
		n.mutate(&cfg)
	}
	svc, err := New(cfg)
	if err != nil {
		n.t.Fatal(err)
	}
	n.svc = svc
	n.t.Cleanup(n.stop)
}

func (n *tnode) stop() {
	if n.svc == nil {
		return
	}
	n.svc.Close()
	n.host.Close()
	n.db.Close()
	n.svc = nil
}

// connectedPair starts alice and bob, one workgroup, alice connected to bob.
func connectedPair(t testing.TB) (alice, bob *tnode) {
	t.Helper()
	alice, bob = newTNode(t, "alice"), newTNode(t, "bob")
	group(alice, bob)
	alice.start()
	bob.start()
	connect(t, alice, bob)
	return alice, bob
}

// withMailbox starts alice and mbox (a mailbox member), alice connected to
// it; bob, the third member, is not started.
func withMailbox(t testing.TB) (alice, mbox, bob *tnode) {
	t.Helper()
	alice, mbox, bob = newTNode(t, "alice"), newTNode(t, "mbox", "mailbox"), newTNode(t, "bob")
	group(alice, mbox, bob)
	alice.start()
	mbox.start()
	connect(t, alice, mbox)
	return alice, mbox, bob
}

// connect dials b from a.
func connect(t testing.TB, a, b *tnode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.host.Connect(ctx, b.host.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func jobState(t *testing.T, n *tnode, id string) Job {
	t.Helper()
	j, err := n.svc.Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}
