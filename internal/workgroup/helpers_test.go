package workgroup

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/store"
)

// tnode is an in-process node: real identity, SQLite, libp2p host on
// 127.0.0.1 and the workgroup service.
type tnode struct {
	t    *testing.T
	name string
	dir  string
	id   *identity.Identity
	db   *store.DB
	host *p2p.Host
	svc  *Service
	// reach is the host's Config.Reachability (set before start).
	reach string
	bus   *events.Bus // Config.Events, when set before start
	// every is the service's SyncInterval (default 1 s).
	every time.Duration
}

func testLog() *slog.Logger {
	if os.Getenv("PEERHOOD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newTNode(t *testing.T, name string) *tnode {
	t.Helper()
	return newTNodeEvery(t, name, time.Second)
}

// newTNodeEvery is newTNode with the periodic work (roster sync, gate,
// gossip repair) every every: an hour leaves a node only gossip and the
// syncs that a connection or a change of its own starts.
func newTNodeEvery(t *testing.T, name string, every time.Duration) *tnode {
	t.Helper()
	n := &tnode{t: t, name: name, dir: t.TempDir(), every: every}
	n.start()
	t.Cleanup(n.stop)
	return n
}

func (n *tnode) start() {
	t := n.t
	t.Helper()
	var err error
	if n.id, _, err = identity.LoadOrCreate(n.dir); err != nil {
		t.Fatal(err)
	}
	if n.every == 0 {
		n.every = time.Second
	}
	ctx := context.Background()
	if n.db, err = store.Open(ctx, filepath.Join(n.dir, "state.db")); err != nil {
		t.Fatal(err)
	}
	if n.host, err = p2p.New(p2p.Config{Key: n.id.Key, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Log: testLog(), Reachability: n.reach}); err != nil {
		t.Fatal(err)
	}
	n.svc, err = New(ctx, Config{DB: n.db, Identity: n.id, Host: n.host, NodeName: n.name, Log: testLog().With("node", n.name), SyncInterval: n.every, Events: n.bus})
	if err != nil {
		t.Fatal(err)
	}
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

func (n *tnode) info() peer.AddrInfo {
	return peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Host.Addrs()}
}

// dial connects a to b.
func (a *tnode) dial(b *tnode) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return a.host.Host.Connect(ctx, b.info())
}

func (a *tnode) connected(b *tnode) bool {
	return a.host.Network().Connectedness(b.host.ID()) == network.Connected
}

func mustCreate(t *testing.T, n *tnode, name string) Info {
	t.Helper()
	info, err := n.svc.Create(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func mustInvite(t *testing.T, n *tnode, o InviteOptions) string {
	t.Helper()
	res, err := n.svc.Invite(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return res.Token
}

func mustJoin(t *testing.T, n *tnode, tok, name string) Member {
	t.Helper()
	_, m, err := n.svc.Join(context.Background(), tok, name)
	if err != nil {
		t.Fatalf("%s joins: %v", n.name, err)
	}
	return m
}

func memberNames(ms []Member) string {
	s := ""
	for _, m := range ms {
		s += m.Name + " "
	}
	return s
}

func wantMembers(n *tnode, wg string, count int) error {
	if ms := n.svc.roster.Members(wg); len(ms) != count {
		return fmt.Errorf("%s sees %d members (%s), want %d", n.name, len(ms), memberNames(ms), count)
	}
	return nil
}

func errf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// joinedWhileAway sets up a workgroup where charlie joined while bravo
// was stopped, and alpha (the admin) is now stopped: bravo, running
// again, knows only alpha and itself; charlie knows all three.
func joinedWhileAway(t *testing.T) (bravo, charlie *tnode, wg Info) {
	t.Helper()
	alpha := newTNode(t, "alpha")
	bravo, charlie = newTNode(t, "bravo"), newTNode(t, "charlie")
	wg = mustCreate(t, alpha, "office")
	mustJoin(t, bravo, mustInvite(t, alpha, InviteOptions{}), "")
	bravo.stop()
	mustJoin(t, charlie, mustInvite(t, alpha, InviteOptions{}), "")
	alpha.stop()
	bravo.start()
	if err := wantMembers(bravo, wg.ID, 2); err != nil {
		t.Fatal(err)
	}
	return bravo, charlie, wg
}
