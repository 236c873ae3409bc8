package discovery

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// countingDir is a static directory that counts members without listing
// them (as the roster does) and counts how often it is listed.
type countingDir struct {
	*workgroup.StaticDirectory
	lists atomic.Int64
}

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
	connectedTo := func(ids ...int) func() error {
		return func() error {
			for _, i := range ids {
				if a.host.Network().Connectedness(nodes[i].id) != network.Connected {
					return errorf("a is not connected to %s", nodes[i].name)
				}
			}
			return nil
		}
	}
	testutil.Eventually(t, 20*time.Second, connectedTo(1, 2))
	before := dir.lists.Load()
	time.Sleep(500 * time.Millisecond) // ten ticks
	if n := dir.lists.Load() - before; n > 1 {
		t.Fatalf("connected to everyone, the round listed the members %d times in ten ticks", n)
	}
	if err := a.host.Network().ClosePeer(nodes[2].id); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, connectedTo(1, 2))
	if dir.lists.Load() == before {
		t.Fatal("the member was dialled back without a round")
	}
}
