package discovery

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/p2p/p2ptest"
	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

const testWG = "wgtest0000000000"

// node is one in-process member: a real libp2p host on loopback, its
// database, directory, presence and discovery services.
type node struct {
	name string
	id   peer.ID
	host *p2p.Host
	db   *store.DB
	dir  *workgroup.StaticDirectory
	pres *presence.Service
	disc *Service
}

func (n *node) close() {
	if n.disc != nil {
		n.disc.Close()
		n.disc = nil
	}
	if n.pres != nil {
		n.pres.Close()
		n.pres = nil
	}
	if n.host != nil {
		n.host.Close()
		n.host = nil
	}
	if n.db != nil {
		n.db.Close()
		n.db = nil
	}
}

type clusterOpts struct {
	interval   time.Duration
	noDHT      bool
	noPresence bool // no presence service: heartbeats bring no addresses
	maxConns   int
	relays     []int // nodes forced public: they run the relay service for members
}

// newCluster starts n members of one workgroup. Every directory knows
// every member (as a synced roster would), but no node knows another's
// address: the caller seeds them.
func newCluster(t testing.TB, n int, o clusterOpts) []*node {
	t.Helper()
	keys := make([]crypto.PrivKey, n)
	members := make([]workgroup.Member, n)
	for i := range keys {
		k, _, err := crypto.GenerateEd25519Key(nil)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
		id, _ := peer.IDFromPrivateKey(k)
		members[i] = workgroup.Member{Workgroup: testWG, WorkgroupName: "test", Name: fmt.Sprintf("n%02d", i), PeerID: id}
	}
	nodes := make([]*node, n)
	ctx := context.Background()
	for i := range nodes {
		nd := &node{name: members[i].Name, id: members[i].PeerID}
		nodes[i] = nd
		var err error
		var hopts []p2ptest.Option
		if slices.Contains(o.relays, i) {
			hopts = append(hopts, func(c *p2p.Config) { c.Reachability = p2p.ReachPublic })
		}
		nd.host = p2ptest.New(t, keys[i], hopts...)
		t.Cleanup(nd.close) // before the host's own cleanup: services close first
		nd.db, err = store.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
		if err != nil {
			t.Fatal(err)
		}
		nd.dir = workgroup.NewStaticDirectory(members[i].PeerID, members...)
		nd.host.SetGate(memberGate{nd.dir})
		nd.pres, err = presence.New(presence.Config{Host: nd.host, Dir: nd.dir, Interval: o.interval, Settings: nd.db})
		if err != nil {
			t.Fatal(err)
		}
		if o.noPresence {
			nd.pres = nil
		}
		nd.disc, err = New(Config{Host: nd.host, DB: nd.db, Dir: nd.dir, Presence: nd.pres, NoMDNS: true, NoDHT: o.noDHT, MaxConns: o.maxConns, Tick: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
	}
	return nodes
}

func startAll(t testing.TB, nodes []*node) {
	t.Helper()
	for _, nd := range nodes {
		if nd.pres != nil {
			if err := nd.pres.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if err := nd.disc.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// seed writes node to's addresses into from's address book, as a past
// connection (or an invite) would have.
func seed(t testing.TB, from, to *node) {
	t.Helper()
	if err := from.disc.Book().Record(context.Background(), to.host.ID(), SourceIdentify, to.host.Host.Addrs()); err != nil {
		t.Fatal(err)
	}
}

// presenceEverywhere checks that every live node other than p sees p as
// want in its browse list.
func presenceEverywhere(nodes []*node, p *node, want string) error {
	for _, nd := range nodes {
		if nd.host == nil || nd == p {
			continue
		}
		found := false
		for _, e := range nd.disc.Browse(testWG) {
			if e.PeerID == p.id {
				found = true
				if e.Presence != want {
					return fmt.Errorf("%s sees %s %s, want %s", nd.name, p.name, e.Presence, want)
				}
			}
		}
		if !found {
			return fmt.Errorf("%s does not list %s", nd.name, p.name)
		}
	}
	return nil
}

// allOnline checks that every live node sees every other live node online.
func allOnline(nodes []*node) error {
	for _, p := range nodes {
		if p.host == nil {
			continue
		}
		if err := presenceEverywhere(nodes, p, presence.Online); err != nil {
			return err
		}
	}
	return nil
}

// memberGate admits every peer and relays between members of the
// directory (the workgroup gate's RelayGate in miniature).
type memberGate struct{ dir *workgroup.StaticDirectory }

func (memberGate) AllowPeer(peer.ID, bool) bool { return true }
func (g memberGate) AllowReserve(p peer.ID) bool {
	return len(g.dir.Memberships(p)) > 0
}
func (g memberGate) AllowCircuit(src, dst peer.ID) bool {
	return g.AllowReserve(src) && g.AllowReserve(dst)
}

func errorf(format string, a ...any) error { return fmt.Errorf(format, a...) }
