package tunnel

import (
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/workgroup"
)

const testWG = "wg-test-id"

// node is one in-process peerhood node: a real loopback libp2p host,
// its own database and directory, and the tunnel service.
type node struct {
	name string
	h    *p2p.Host
	dir  *workgroup.StaticDirectory
	db   *store.DB
	svc  *Service
}

func newNode(t testing.TB, name string) *node {
	t.Helper()
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := p2p.New(p2p.Config{Key: k, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	n := &node{name: name, h: h, db: db, dir: workgroup.NewStaticDirectory(h.ID())}
	n.svc = New(db, h.Host, n.dir, nil, Options{})
	if err := n.svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.svc.Close() })
	return n
}

func (n *node) member(groups ...string) workgroup.Member {
	return workgroup.Member{Workgroup: testWG, WorkgroupName: "test", Name: n.name, PeerID: n.h.ID(), Groups: groups, NotAfter: time.Now().Add(time.Hour)}
}

// link makes every node know every other as a member (with no groups)
// and its addresses.
func link(nodes ...*node) {
	for _, a := range nodes {
		for _, b := range nodes {
			a.dir.Add(b.member())
			if a != b {
				a.h.Peerstore().AddAddrs(b.h.ID(), b.h.Host.Addrs(), time.Hour)
			}
		}
	}
}

// offer adds service name with target and rules on n.
func (n *node) offer(t testing.TB, name, target string, allow ...string) {
	t.Helper()
	rules, err := ParseRules(allow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.svc.Configs().Add(context.Background(), Config{Name: name, Workgroup: testWG, Target: target, Kind: KindTCP, Rules: rules}); err != nil {
		t.Fatal(err)
	}
}

// forward makes n forward a free local port to member:service.
func (n *node) forward(t testing.TB, member, service string) (Forward, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return n.svc.AddForward(ctx, ForwardRequest{Member: member, Service: service})
}

// target is a TCP server on the loopback that counts the connections it
// accepted and serves each with serve.
type target struct {
	ln       net.Listener
	accepted atomic.Int64
}

func newTarget(t testing.TB, serve func(*net.TCPConn)) *target {
	t.Helper()
	tg := &target{}
	tg.ln = testutil.ServeTCP(t, func(c net.Conn) {
		tg.accepted.Add(1)
		serve(c.(*net.TCPConn))
	})
	return tg
}

func (tg *target) addr() string { return tg.ln.Addr().String() }

// echo copies back what it reads, then half-closes.
func echo(c *net.TCPConn) {
	defer c.Close()
	if _, err := io.Copy(c, c); err == nil {
		_ = c.CloseWrite()
	}
}

// dialLocal connects to a forward's local address.
func dialLocal(t testing.TB, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// refusedCode returns the code of a *RefusedError, or "".
func refusedCode(err error) string {
	var re *RefusedError
	if errors.As(err, &re) {
		return re.Wire.Code
	}
	return ""
}
