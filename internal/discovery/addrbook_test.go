package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/testutil"
)

// The book keeps each address's source, last success and backoff.
func TestBookSourcesAndBackoff(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := NewBook(db)
	p := peer.ID("member")
	a1, a2, a3 := ma.StringCast("/ip4/10.0.0.1/tcp/1"), ma.StringCast("/ip4/10.0.0.2/tcp/2"), ma.StringCast("/ip4/10.0.0.3/tcp/3")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.Record(ctx, p, SourcePresence, []ma.Multiaddr{a1}))
	must(b.Record(ctx, p, SourceDHT, []ma.Multiaddr{a2}))
	must(b.Failed(ctx, p, []ma.Multiaddr{a1, a3})) // a3 is not in the book: ignored
	must(b.Failed(ctx, p, []ma.Multiaddr{a1}))
	must(b.Succeeded(ctx, p, a3)) // a dialled address the book did not have
	es, err := b.Entries(ctx, p)
	must(err)
	got := map[string]BookAddr{}
	for _, e := range es {
		got[e.Addr.String()] = e
	}
	now := time.Now()
	for _, tc := range []struct {
		addr   ma.Multiaddr
		source string
		fails  int
		ok     bool
		wait   time.Duration // at least this long before the next dial
	}{
		{a1, SourcePresence, 2, false, addrBackoff(2) - time.Second},
		{a2, SourceDHT, 0, false, 0},
		{a3, SourceDialled, 0, true, 0},
	} {
		e, found := got[tc.addr.String()]
		if !found {
			t.Fatalf("%s not in the book", tc.addr)
		}
		if e.Source != tc.source || e.Fails != tc.fails || e.OK.IsZero() == tc.ok || (tc.wait > 0 && e.Retry.Sub(now) < tc.wait) {
			t.Fatalf("%s: %+v, want source %s, fails %d, ok %v, wait %v", tc.addr, e, tc.source, tc.fails, tc.ok, tc.wait)
		}
	}
	ready, waiting, err := b.Dialable(ctx, p, now)
	must(err)
	if len(ready) != 2 || len(waiting) != 1 || !waiting[0].Equal(a1) {
		t.Fatalf("dialable %v, waiting %v", ready, waiting)
	}
	if addrBackoff(1) != addrBackoffBase || addrBackoff(50) != addrBackoffMax {
		t.Fatalf("backoff %v .. %v", addrBackoff(1), addrBackoff(50))
	}
}

// A dead address is not dialled again while it waits out its backoff
// (before: every dial round of the member dialled it, past the swarm's
// backoff when a service cleared it).
func TestDeadAddressBacksOff(t *testing.T) {
	t.Parallel()
	nodes := newCluster(t, 2, clusterOpts{noPresence: true, noDHT: true})
	a, b := nodes[0], nodes[1]
	var accepts atomic.Int32
	ln := testutil.ServeTCP(t, func(c net.Conn) {
		accepts.Add(1)
		c.Close()
	})
	dead := ma.StringCast(fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", ln.Addr().(*net.TCPAddr).Port))
	if err := a.disc.Book().Record(t.Context(), b.id, SourceIdentify, []ma.Multiaddr{dead}); err != nil {
		t.Fatal(err)
	}
	var de *swarm.DialError
	if err := a.disc.dial(testWG, b.id); !errors.As(err, &de) {
		t.Fatalf("first dial: %v, want a dial error", err)
	}
	testutil.Eventually(t, 5*time.Second, func() error {
		if n := accepts.Load(); n != 1 {
			return errorf("%d connections to the dead port", n)
		}
		return nil
	})
	a.host.Network().(*swarm.Swarm).Backoff().Clear(b.id) // as a user's `ls` does
	if err := a.disc.dial(testWG, b.id); errors.As(err, &de) {
		t.Fatalf("second dial tried the dead address again: %v", err)
	}
	if n := accepts.Load(); n != 1 {
		t.Fatalf("%d connections to the dead port, want 1", n)
	}
}

// Addresses a heartbeat brings (of a member this node is not connected
// to) are kept in the book, with their source.
func TestHeartbeatAddressesInBook(t *testing.T) {
	t.Parallel()
	nodes := newCluster(t, 3, clusterOpts{interval: 500 * time.Millisecond, noDHT: true, maxConns: 1})
	a, b, c := nodes[0], nodes[1], nodes[2]
	seed(t, a, b)
	seed(t, c, b)
	startAll(t, nodes)
	testutil.Eventually(t, 30*time.Second, func() error {
		es, err := a.disc.Book().Entries(t.Context(), c.id)
		if err != nil {
			return err
		}
		for _, e := range es {
			if e.Source == SourcePresence {
				return nil
			}
		}
		return errorf("a's book of c: %+v", es)
	})
}
