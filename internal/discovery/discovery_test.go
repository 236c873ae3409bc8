package discovery

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/testutil"
)

// 20 members that each know only the first one's address find every other
// member through the workgroup DHT, see each other online, see a member
// that logs off as offline (and back), and see a member that vanishes as
// offline within 10 s.
func TestClusterFindsMembersAndPresence(t *testing.T) {
	skipUnderRace(t)
	size := 20
	nodes := newCluster(t, size, clusterOpts{interval: time.Second})
	for _, nd := range nodes[1:] {
		seed(t, nd, nodes[0])
	}
	startAll(t, nodes)
	// Generous limits: the suite runs with -race on 2 shared cores, where
	// gossip can lag tens of seconds; the speed goals (offline < 10 s,
	// browse < 2 s) are measured in bench/lanbrowse, not here.
	took := testutil.Eventually(t, 150*time.Second, func() error {
		for _, nd := range nodes {
			for _, o := range nodes {
				if o != nd && nd.host.Network().Connectedness(o.id) != network.Connected {
					return errorf("%s is not connected to %s", nd.name, o.name)
				}
			}
		}
		return nil
	})
	t.Logf("full mesh of %d from one seed address in %s", len(nodes), took)
	took = testutil.Eventually(t, 150*time.Second, func() error { return allOnline(nodes) })
	t.Logf("presence converged in %s more", took)

	// The book learns real addresses from identify (recorded after the
	// connection, so possibly after presence converged).
	testutil.Eventually(t, 10*time.Second, func() error {
		if addrs, err := nodes[5].disc.Book().Addrs(t.Context(), nodes[size-1].id); err != nil || len(addrs) == 0 {
			return errorf("book of n05 has no address of the last node: %v %v", addrs, err)
		}
		return nil
	})

	// Logoff: offline everywhere although still connected; logon: back.
	if _, err := nodes[3].pres.Logoff(t.Context()); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 45*time.Second, func() error { return presenceEverywhere(nodes, nodes[3], presence.Offline) })
	if nodes[7].host.Network().Connectedness(nodes[3].id) != 1 {
		t.Fatal("logged-off member was disconnected")
	}
	if _, err := nodes[3].pres.Set(t.Context(), presence.Busy, "in a meeting"); err != nil {
		t.Fatal(err)
	}
	if _, err := nodes[3].pres.Logon(t.Context()); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 45*time.Second, func() error { return presenceEverywhere(nodes, nodes[3], presence.Busy) })
	for _, e := range nodes[size-2].disc.Browse(testWG) {
		if e.PeerID == nodes[3].id && (e.PresenceText != "in a meeting" || e.LastSeen == nil || e.RTT <= 0 || len(e.Addrs) == 0) {
			t.Fatalf("browse entry of n03 on %s: %+v", nodes[size-2].name, e)
		}
	}

	// A member killed without a goodbye (its host just closes).
	gone := nodes[size-1]
	gone.host.Close()
	gone.host = nil
	gone.disc.Close()
	gone.pres.Close() // its goodbye cannot leave: the host is gone
	gone.disc, gone.pres = nil, nil
	took = testutil.Eventually(t, 45*time.Second, func() error { return presenceEverywhere(nodes, gone, presence.Offline) })
	t.Logf("departed member offline everywhere after %s", took)
}

// Without presence (so no heartbeat brings addresses), members that each
// know only the middle one's address find each other through the
// workgroup DHT: the routing tables hold connected members, and a lookup
// starts there.
func TestDHTFindsMemberWithNoKnownAddress(t *testing.T) {
	t.Parallel()
	nodes := newCluster(t, 4, clusterOpts{noPresence: true})
	for _, nd := range []*node{nodes[0], nodes[2], nodes[3]} {
		seed(t, nd, nodes[1])
	}
	startAll(t, nodes)
	took := testutil.Eventually(t, 60*time.Second, func() error {
		for _, nd := range nodes {
			for _, o := range nodes {
				if o != nd && nd.host.Network().Connectedness(o.id) != network.Connected {
					return errorf("%s is not connected to %s", nd.name, o.name)
				}
			}
		}
		return nil
	})
	t.Logf("full mesh of 4 from one seed address, through the DHT, in %s", took)
}

// Under a cap of 3 dials each, members that know only the first one's
// address all see each other online (gossip crosses the sparse mesh) and
// the workgroup holds about 3 connections per member, not a full mesh:
// neither DHT lookups nor refreshes connect members beyond the cap.
func TestCapKeepsMeshSparse(t *testing.T) {
	skipUnderRace(t)
	size, capEach := 24, 3
	nodes := newCluster(t, size, clusterOpts{interval: time.Second, maxConns: capEach})
	for _, nd := range nodes[1:] {
		seed(t, nd, nodes[0])
	}
	startAll(t, nodes)
	took := testutil.Eventually(t, 150*time.Second, func() error { return allOnline(nodes) })
	t.Logf("presence converged over a sparse mesh in %s", took)
	time.Sleep(3 * time.Second) // room for any dials still to come
	conns := 0
	for _, nd := range nodes {
		conns += len(nd.host.Network().Peers())
	}
	conns /= 2
	// Each member dials at most capEach; the DHT may fill an empty
	// routing table from 2 members at start.
	if most := size * (capEach + 2); conns > most {
		t.Fatalf("%d members hold %d connections, want at most %d (full mesh: %d)", size, conns, most, size*(size-1)/2)
	}
	t.Logf("%d members hold %d connections (full mesh: %d)", size, conns, size*(size-1)/2)
}

// skipUnderRace skips a full-size cluster test in -short mode and under
// -race: those run once, at full size without -race, in the multi-node
// step of scripts/test.sh (under -race every goroutine is 5-10x slower and
// a cluster becomes a CPU benchmark). The discovery code's concurrency
// still runs under -race in TestDHTFindsMemberWithNoKnownAddress, and
// presence's in its own package. The two full-size clusters run one after
// the other (44 nodes at once starve 2 cores).
func skipUnderRace(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("multi-node test")
	}
	if raceEnabled {
		t.Skip("full-size cluster: runs without -race in scripts/test.sh's multi-node step")
	}
}
