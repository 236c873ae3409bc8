package presence

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/workgroup"
)

func TestIntervalFor(t *testing.T) {
	for _, tc := range []struct {
		base time.Duration
		n    int
		want time.Duration
	}{
		{2 * time.Second, 1, 2 * time.Second},
		{2 * time.Second, SmallGroup, 2 * time.Second},
		{2 * time.Second, SmallGroup + 1, 2500 * time.Millisecond},
		{2 * time.Second, 12, 6 * time.Second},
		{2 * time.Second, 20, 10 * time.Second},
		{2 * time.Second, 50, 25 * time.Second},
		{2 * time.Second, 200, 100 * time.Second},
		{2 * time.Second, 1000, 500 * time.Second},
		{2 * time.Second, 5000, MaxInterval},
		{300 * time.Millisecond, 100, 7500 * time.Millisecond},
		{time.Hour, 500, time.Hour}, // a base above the cap is kept
	} {
		if got := IntervalFor(tc.base, tc.n); got != tc.want {
			t.Errorf("IntervalFor(%s, %d) = %s, want %s", tc.base, tc.n, got, tc.want)
		}
	}
	if Timeout(2*time.Second) != 7*time.Second {
		t.Errorf("Timeout(2s) = %s", Timeout(2*time.Second))
	}
}

// fakeMembers returns n members of wg with fresh peer IDs.
func fakeMembers(t *testing.T, n int) []workgroup.Member {
	t.Helper()
	out := make([]workgroup.Member, n)
	for i := range out {
		k, _, err := crypto.GenerateEd25519Key(nil)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := peer.IDFromPrivateKey(k)
		out[i] = workgroup.Member{Workgroup: wg, Name: fmt.Sprintf("f%03d", i), PeerID: id}
	}
	return out
}

// A member of a large workgroup heartbeats at the interval its size
// calls for, and the others time it out by that interval, not theirs.
func TestHeartbeatGrowsWithWorkgroup(t *testing.T) {
	a, b := newHost(t), newHost(t)
	ms := append(fakeMembers(t, 98), member(a, "a"), member(b, "b"))
	pa := start(t, a, workgroup.NewStaticDirectory(a.ID(), ms...))
	start(t, b, workgroup.NewStaticDirectory(b.ID(), ms...))
	connect(t, a, b)
	testutil.Eventually(t, 5*time.Second, wantState(pa, b.ID(), Online, ""))
	want := IntervalFor(300*time.Millisecond, 100) // 7.5 s
	pa.mu.Lock()
	got := pa.topics[wg].records[b.ID()].interval
	own := pa.topics[wg].interval
	pa.mu.Unlock()
	if got != want || own != want {
		t.Fatalf("heartbeat interval: b announces %s, a uses %s; want %s", got, own, want)
	}
}

// a - b - c in a line: a has no connection to c. When c vanishes, b's
// probe finds it gone and says so, and a shows c offline once c has been
// quiet for 1.2 of its intervals (2.4 s here), long before c's heartbeat
// timeout (7 s here).
func TestGoneReportedByAnotherMember(t *testing.T) {
	a, b, c := newHost(t), newHost(t), newHost(t)
	ms := []workgroup.Member{member(a, "a"), member(b, "b"), member(c, "c")}
	pa := start(t, a, workgroup.NewStaticDirectory(a.ID(), ms...))
	start(t, b, workgroup.NewStaticDirectory(b.ID(), ms...))
	startEvery(t, c, workgroup.NewStaticDirectory(c.ID(), ms...), 2*time.Second)
	connect(t, a, b)
	connect(t, c, b)
	testutil.Eventually(t, 10*time.Second, wantState(pa, c.ID(), Online, ""))
	if a.Network().Connectedness(c.ID()) == network.Connected {
		t.Fatal("a is connected to c; the test needs a line")
	}
	began := time.Now()
	c.Close() // no goodbye
	testutil.Eventually(t, 5*time.Second, wantState(pa, c.ID(), Offline, ""))
	t.Logf("offline on a member with no connection to it %s after it vanished", time.Since(began))
	if got := pa.Of(wg, b.ID()); got.State != Online {
		t.Fatalf("the reporter itself is %s", got.State)
	}
}

// a - b - c in a line: c's heartbeats bring its listen addresses to a,
// which has never been connected to it, so a can dial c from its
// peerstore alone (no DHT lookup).
func TestHeartbeatCarriesAddresses(t *testing.T) {
	a, b, c := newHost(t), newHost(t), newHost(t)
	ms := []workgroup.Member{member(a, "a"), member(b, "b"), member(c, "c")}
	pa := start(t, a, workgroup.NewStaticDirectory(a.ID(), ms...))
	start(t, b, workgroup.NewStaticDirectory(b.ID(), ms...))
	start(t, c, workgroup.NewStaticDirectory(c.ID(), ms...))
	connect(t, a, b)
	connect(t, c, b)
	testutil.Eventually(t, 10*time.Second, wantState(pa, c.ID(), Online, ""))
	if a.Network().Connectedness(c.ID()) == network.Connected {
		t.Fatal("a is connected to c; the test needs a line")
	}
	want := c.Host.Addrs()[0]
	testutil.Eventually(t, 5*time.Second, func() error {
		for _, got := range a.Peerstore().Addrs(c.ID()) {
			if got.Equal(want) {
				return nil
			}
		}
		return fmt.Errorf("a knows %v for c, want %v among them", a.Peerstore().Addrs(c.ID()), want)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Host.Connect(ctx, peer.AddrInfo{ID: c.ID()}); err != nil {
		t.Fatalf("dial c from the addresses its heartbeat gave: %v", err)
	}
}

func (s *Service) seqOf(p peer.ID) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.topics[wg].records[p]; r != nil {
		return r.seq
	}
	return 0
}

// a - b, then d connects to b only; heartbeats are 30 s apart. d learns
// b's presence at once from b directly, and a learns d's from d's
// broadcast (d was alone on the topic), but b does not broadcast to the
// whole workgroup because one peer joined it: a hears nothing new from b
// before b's next heartbeat.
func TestNewPeerIsAnsweredDirectly(t *testing.T) {
	a, b, d := newHost(t), newHost(t), newHost(t)
	ms := []workgroup.Member{member(a, "a"), member(b, "b"), member(d, "d")}
	pa := startEvery(t, a, workgroup.NewStaticDirectory(a.ID(), ms...), 30*time.Second)
	startEvery(t, b, workgroup.NewStaticDirectory(b.ID(), ms...), 30*time.Second)
	connect(t, a, b)
	met := time.Now()
	testutil.Eventually(t, 10*time.Second, wantState(pa, b.ID(), Online, ""))
	time.Sleep(kickLate + time.Second) // a's and b's kicks after they met have all arrived
	seq := pa.seqOf(b.ID())

	pd := startEvery(t, d, workgroup.NewStaticDirectory(d.ID(), ms...), 30*time.Second)
	connect(t, d, b)
	testutil.Eventually(t, 10*time.Second, wantState(pd, b.ID(), Online, ""))
	// b's answer carries the signed messages of the members it sees
	// present: d learns a's presence at once too, not at a's next
	// heartbeat (30 s away; 8 s leaves a loaded -race run margin).
	testutil.Eventually(t, 8*time.Second, wantState(pd, a.ID(), Online, ""))
	testutil.Eventually(t, 10*time.Second, wantState(pa, d.ID(), Online, ""))
	// A broadcast by b would be held back to a quarter interval (7.5 s)
	// after its last one, when a joined; its next heartbeat is over 20 s
	// away.
	time.Sleep(time.Until(met.Add(10 * time.Second)))
	if got := pa.seqOf(b.ID()); got != seq {
		t.Fatalf("b broadcast when d joined: a heard b's message %d after %d", got, seq)
	}
	if a.Network().Connectedness(d.ID()) == network.Connected {
		t.Fatal("a is connected to d; the test needs a line")
	}
}
