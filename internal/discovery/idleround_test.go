package discovery

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"

	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// countingDir is a static directory that counts members without listing
// them (as the roster does) and counts how often it is listed.
type countingDir struct {
	*workgroup.StaticDirectory
	lists, memberships atomic.Int64
	gen                atomic.Uint64 // Generation: bumped by the test on a change
}

func (d *countingDir) Memberships(p peer.ID) []workgroup.Member {
	d.memberships.Add(1)
	return d.StaticDirectory.Memberships(p)
}

func (d *countingDir) Generation() uint64 { return d.gen.Load() }

func (d *countingDir) Members(wg string) []workgroup.Member {
	d.lists.Add(1)
	return d.StaticDirectory.Members(wg)
}

func (d *countingDir) MemberCount(wg string) int { return len(d.StaticDirectory.Members(wg)) }

// A node connected to every member skips the dial round (it does not
// list the members on each tick); once a member's connection is gone,
// the round runs again and dials it back.
func TestIdleRoundSkipsWhenAllConnected(t *testing.T) {
	nodes := newCluster(t, 3, clusterOpts{noDHT: true, noPresence: true})
	a := nodes[0]
	dir := &countingDir{StaticDirectory: a.dir}
	var err error
	if a.disc, err = New(Config{Host: a.host, DB: a.db, Dir: dir, NoMDNS: true, NoDHT: true, Tick: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	for _, o := range nodes[1:] {
		seed(t, a, o)
	}
	startAll(t, nodes)
	testutil.Eventually(t, 20*time.Second, connectedTo(a, nodes, 1, 2))
	before := dir.lists.Load()
	time.Sleep(500 * time.Millisecond) // ten ticks
	if n := dir.lists.Load() - before; n > 1 {
		t.Fatalf("connected to everyone, the round listed the members %d times in ten ticks", n)
	}
	if err := a.host.Network().ClosePeer(nodes[2].id); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, connectedTo(a, nodes, 1, 2))
	if dir.lists.Load() == before {
		t.Fatal("the member was dialled back without a round")
	}
}

// Once a round found every member connected, the rounds after it do
// nothing (not even count the connected members) until a connection
// opens or closes or the directory's generation moves; each of those
// makes the next round run in full: a member added is dialled, a member
// whose connection closed is dialled back.
func TestIdleRoundSettled(t *testing.T) {
	nodes := newCluster(t, 4, clusterOpts{noDHT: true, noPresence: true})
	a := nodes[0]
	late := nodes[3] // a member a's dial rounds see only later
	// The cluster's directories share one member slice: a's rounds get a
	// copy of their own, without late (a's gate still admits late).
	var ms []workgroup.Member
	for _, m := range a.dir.Members(testWG) {
		if m.PeerID != late.id {
			ms = append(ms, m)
		}
	}
	own := workgroup.NewStaticDirectory(a.id, ms...)
	dir := &countingDir{StaticDirectory: own}
	var err error
	if a.disc, err = New(Config{Host: a.host, DB: a.db, Dir: dir, NoMDNS: true, NoDHT: true, Tick: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	seed(t, a, nodes[1])
	seed(t, a, nodes[2])
	startAll(t, nodes)
	testutil.Eventually(t, 20*time.Second, connectedTo(a, nodes, 1, 2))
	for _, step := range []struct {
		name   string
		change func()
		want   []int // a is connected to these after the change
	}{
		{"idle", func() {}, []int{1, 2}},
		{"a member added to the roster", func() {
			a.host.Peerstore().AddAddrs(late.id, late.host.Host.Addrs(), peerstore.PermanentAddrTTL)
			own.Add(workgroup.Member{Workgroup: testWG, WorkgroupName: "test", Name: late.name, PeerID: late.id})
			dir.gen.Add(1)
		}, []int{1, 2, 3}},
		{"a connection closed", func() {
			if err := a.host.Network().ClosePeer(nodes[2].id); err != nil {
				t.Fatal(err)
			}
		}, []int{1, 2, 3}},
	} {
		step.change()
		testutil.Eventually(t, 20*time.Second, connectedTo(a, nodes, step.want...))
		// Once the connection events are over (a redial may race the
		// other end's), ten ticks in a row look nothing up.
		testutil.Eventually(t, 10*time.Second, func() error {
			before := dir.memberships.Load()
			time.Sleep(500 * time.Millisecond) // ten ticks
			if n := dir.memberships.Load() - before; n > 0 {
				return errorf("%s: connected to everyone, ten idle ticks looked up memberships %d times", step.name, n)
			}
			return nil
		})
	}
}

// connectedTo reports (for testutil.Eventually) whether a is connected to
// each of nodes[ids].
func connectedTo(a *node, nodes []*node, ids ...int) func() error {
	return func() error {
		for _, i := range ids {
			if a.host.Network().Connectedness(nodes[i].id) != network.Connected {
				return errorf("%s is not connected to %s", a.name, nodes[i].name)
			}
		}
		return nil
	}
}
