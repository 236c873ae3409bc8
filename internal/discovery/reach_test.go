package discovery

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/peerhood/peerhood/internal/testutil"
)

const echoProto = protocol.ID("/peerhood-test/echo/1")

// A dial that is not discovery's own (a user's `ls b:` opens a files
// stream) reaches a member through the relay member it holds a
// reservation on, knowing no direct address of it: a and b each know
// only the relay r (and are capped at one member connection, so
// discovery does not dial the other itself).
func TestAnyDialTriesRelays(t *testing.T) {
	t.Parallel()
	nodes := newCluster(t, 3, clusterOpts{noPresence: true, noDHT: true, maxConns: 1, relays: []int{0}})
	r, a, b := nodes[0], nodes[1], nodes[2]
	seed(t, a, r)
	seed(t, b, r)
	b.host.SetStreamHandler(echoProto, func(s network.Stream) { _ = s.Close() })
	startAll(t, nodes)
	took := testutil.Eventually(t, 60*time.Second, func() error {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		s, err := a.host.NewStream(ctx, b.id, echoProto)
		if err != nil {
			return err
		}
		_ = s.Close()
		return nil
	})
	if l := a.host.Link(b.id); l != "relayed" {
		t.Fatalf("a reaches b by %q, want relayed", l)
	}
	t.Logf("a stream to b through the relay after %s", took)
}

// Browse shows whether a member can be reached beside its presence: one
// whose address is dead is "no route", one connected "connected".
func TestBrowseShowsReach(t *testing.T) {
	t.Parallel()
	nodes := newCluster(t, 3, clusterOpts{noPresence: true, noDHT: true})
	a, b, gone := nodes[0], nodes[1], nodes[2]
	seed(t, a, b)
	seed(t, a, gone)
	gone.close()
	startAll(t, nodes[:2])
	testutil.Eventually(t, 30*time.Second, func() error {
		want := map[string]string{a.name: "", b.name: ReachConnected, gone.name: ReachNoRoute}
		for _, e := range a.disc.Browse(testWG) {
			if e.Reach != want[e.Name] {
				return errorf("%s: reach %q, want %q", e.Name, e.Reach, want[e.Name])
			}
			if e.Name == gone.name && len(e.Addrs) > 0 {
				return errorf("offline %s shown with addresses %v", e.Name, e.Addrs)
			}
		}
		return nil
	})
}

// A node whose members' known addresses are all dead says so: status
// (MemberRoutes) reports it alone, and the log warns once.
func TestAloneReportedOnce(t *testing.T) {
	t.Parallel()
	nodes := newCluster(t, 3, clusterOpts{noPresence: true, noDHT: true})
	a := nodes[0]
	for _, o := range nodes[1:] {
		seed(t, a, o)
		o.close()
	}
	var logs testutil.SyncBuffer
	a.disc.cfg.Log = slog.New(slog.NewTextHandler(&logs, nil))
	a.disc.aloneGrace = 0
	startAll(t, nodes[:1])
	testutil.Eventually(t, 30*time.Second, func() error {
		if st := a.disc.MemberRoutes(); !st.Alone || st.Members != 2 || st.NoRoute != 2 {
			return errorf("routes %+v, want alone", st)
		}
		if n := strings.Count(logs.String(), "no member reachable"); n != 1 {
			return errorf("%d warnings, want 1", n)
		}
		return nil
	})
	time.Sleep(relayRouteEvery + time.Second)
	if n := strings.Count(logs.String(), "no member reachable"); n != 1 {
		t.Fatalf("%d warnings after a while, want 1", n)
	}
}

// A member that was away while this node's dial backoff grew, and came
// back on a new address known only to another member, is found through
// the DHT at the next re-query, not after the backoff.
func TestRequeryFindsMemberThatMoved(t *testing.T) {
	t.Parallel()
	nodes := newCluster(t, 3, clusterOpts{noPresence: true})
	a, b, c := nodes[0], nodes[1], nodes[2]
	seed(t, a, b)
	seed(t, c, b)
	c.disc.cfg.MaxConns = 1 // c dials b only: a must find c itself
	startAll(t, nodes[:2])
	testutil.Eventually(t, 30*time.Second, func() error {
		if a.host.Network().Connectedness(b.id) != network.Connected {
			return errorf("a not connected to b")
		}
		return nil
	})
	// a gave up on c for a long while (it was away).
	a.disc.mu.Lock()
	a.disc.backoff[c.id] = &backoff{next: time.Now().Add(time.Hour), wait: time.Hour, err: errNoAddrs}
	a.disc.mu.Unlock()
	startAll(t, nodes[2:])
	took := testutil.Eventually(t, 30*time.Second, func() error {
		if a.host.Network().Connectedness(c.id) != network.Connected {
			return errorf("a not connected to c")
		}
		return nil
	})
	t.Logf("a found c again after %s", took)
}
