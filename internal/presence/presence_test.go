package presence

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/p2p/p2ptest"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/wire"
	"github.com/peerhood/peerhood/internal/workgroup"
)

const wg = "wgpresence000"

func newHost(t *testing.T) *p2p.Host {
	t.Helper()
	return p2ptest.New(t, nil)
}

func member(h *p2p.Host, name string) workgroup.Member {
	return workgroup.Member{Workgroup: wg, WorkgroupName: "test", Name: name, PeerID: h.ID()}
}

func start(t *testing.T, h *p2p.Host, dir workgroup.Directory) *Service {
	t.Helper()
	return startEvery(t, h, dir, 300*time.Millisecond)
}

// startEvery starts presence on h with the given heartbeat interval; the
// test's cleanup closes it.
func startEvery(t *testing.T, h *p2p.Host, dir workgroup.Directory, interval time.Duration) *Service {
	t.Helper()
	s, err := New(Config{Host: h, Dir: dir, Interval: interval})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func connect(t *testing.T, a, b *p2p.Host) {
	t.Helper()
	if _, err := a.Connect(context.Background(), b.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
}

func wantState(s *Service, p peer.ID, state, text string) func() error {
	return func() error {
		got := s.Of(wg, p)
		if got.State != state || got.Text != text {
			return fmt.Errorf("%s is %q (%q), want %q (%q)", p, got.State, got.Text, state, text)
		}
		return nil
	}
}

// A member's states reach the other member; a stranger's messages on the
// topic are rejected by the validator, even from a connected peer.
func TestPresenceMembersOnly(t *testing.T) {
	a, b, x := newHost(t), newHost(t), newHost(t)
	ma, mb, mx := member(a, "a"), member(b, "b"), member(x, "x")
	pa := start(t, a, workgroup.NewStaticDirectory(a.ID(), ma, mb))
	pb := start(t, b, workgroup.NewStaticDirectory(b.ID(), ma, mb))
	// x believes it is a member (a forged roster) and publishes.
	start(t, x, workgroup.NewStaticDirectory(x.ID(), ma, mb, mx))
	connect(t, a, b)
	connect(t, x, a)
	testutil.Eventually(t, 5*time.Second, wantState(pa, b.ID(), Online, ""))
	if _, err := pb.Set(context.Background(), Away, "lunch"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, wantState(pa, b.ID(), Away, "lunch"))
	time.Sleep(time.Second) // x has heartbeated several times by now
	if got := pa.Of(wg, x.ID()); got.State != Offline || !got.LastSeen.IsZero() {
		t.Fatalf("stranger's presence was accepted: %+v", got)
	}
	// Logoff: seen offline while connected; logon brings back the state.
	if _, err := pb.Logoff(context.Background()); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, wantState(pa, b.ID(), Offline, ""))
	if got := pa.Of(wg, b.ID()); got.LastSeen.IsZero() {
		t.Fatal("logged-off member has no last seen")
	}
	if _, err := pb.Logon(context.Background()); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, wantState(pa, b.ID(), Away, "lunch"))
}

// A member whose only connection drops shows offline at once: there is no
// other route for its heartbeats.
func TestPresenceOfflineOnDisconnect(t *testing.T) {
	a, b := newHost(t), newHost(t)
	ma, mb := member(a, "a"), member(b, "b")
	pa := start(t, a, workgroup.NewStaticDirectory(a.ID(), ma, mb))
	startEvery(t, b, workgroup.NewStaticDirectory(b.ID(), ma, mb), 10*time.Second)
	connect(t, a, b)
	testutil.Eventually(t, 5*time.Second, wantState(pa, b.ID(), Online, ""))
	start := time.Now()
	b.Close() // no goodbye; b's heartbeat interval is 10 s
	// Offline from the closed connection, well before b's heartbeat could
	// expire (10 s and more); 5 s leaves room for a loaded -race run (2 s
	// failed once in CI with the machine busy).
	testutil.Eventually(t, 5*time.Second, wantState(pa, b.ID(), Offline, ""))
	t.Logf("offline %s after the connection closed", time.Since(start))
}

func TestSetErrors(t *testing.T) {
	a := newHost(t)
	p := start(t, a, workgroup.NewStaticDirectory(a.ID(), member(a, "a")))
	for _, tc := range []struct{ state, text, want string }{
		{"offline", "", "logoff"},
		{"sleeping", "", "use online, away or busy"},
		{Online, strings.Repeat("x", MaxText+1), "exceeds"},
	} {
		if _, err := p.Set(context.Background(), tc.state, tc.text); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Set(%q): want error containing %q, got %v", tc.state, tc.want, err)
		}
	}
	if st := p.Self(); st.State != Online || !st.LoggedOn || st.Shown != Online {
		t.Fatalf("a refused Set changed the state: %+v", st)
	}
}

func TestDecode(t *testing.T) {
	good, _ := wire.Marshal(message{Workgroup: wg, State: Busy, Text: "x", Seq: 3, IntervalMS: 2000})
	badState, _ := wire.Marshal(message{Workgroup: wg, State: "asleep", Seq: 1})
	longText, _ := wire.Marshal(message{Workgroup: wg, State: Online, Text: strings.Repeat("y", MaxText+1)})
	noWG, _ := wire.Marshal(message{State: Online})
	addr := ma.StringCast("/ip4/192.0.2.1/tcp/4001").Bytes()
	withAddr, _ := wire.Marshal(message{Workgroup: wg, State: Busy, Text: "x", Seq: 3, IntervalMS: 2000, Addrs: [][]byte{addr}})
	badAddr, _ := wire.Marshal(message{Workgroup: wg, State: Busy, Seq: 3, Addrs: [][]byte{{0xff, 0xff, 0x01}}})
	manyAddrs, _ := wire.Marshal(message{Workgroup: wg, State: Busy, Seq: 3, Addrs: make([][]byte, maxAddrs+1)})
	longAddr, _ := wire.Marshal(message{Workgroup: wg, State: Busy, Seq: 3, Addrs: [][]byte{make([]byte, maxAddrSize+1)}})
	for _, tc := range []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"good", good, true},
		{"bad state", badState, false},
		{"long text", longText, false},
		{"no workgroup", noWG, false},
		{"with an address", withAddr, true},
		{"undecodable address", badAddr, false},
		{"too many addresses", manyAddrs, false},
		{"address too long", longAddr, false},
		{"garbage", []byte{0xff, 0x00, 0x13}, false},
		{"empty", nil, false},
		{"huge", make([]byte, maxMessage+1), false},
	} {
		m, err := decode(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.name, err)
		}
		if tc.ok && (m.State != Busy || m.Text != "x" || m.interval() != 2*time.Second) {
			t.Errorf("%s: decoded %+v", tc.name, m)
		}
	}
}

// A new member's announcements that arrive before its certificate are
// kept and count as soon as the roster knows it, without waiting for its
// next heartbeat.
func TestPresenceBeforeCertificate(t *testing.T) {
	a, n := newHost(t), newHost(t)
	ma, mn := member(a, "a"), member(n, "newbie")
	dirA := workgroup.NewStaticDirectory(a.ID(), ma)
	pa := start(t, a, dirA)
	startEvery(t, n, workgroup.NewStaticDirectory(n.ID(), ma, mn), 30*time.Second)
	connect(t, n, a)
	time.Sleep(800 * time.Millisecond) // newbie's announcements on join have arrived
	if got := pa.Of(wg, n.ID()); got.State != Offline {
		t.Fatalf("non-member shown %s", got.State)
	}
	dirA.Add(mn) // the roster learns the certificate
	testutil.Eventually(t, 5*time.Second, wantState(pa, n.ID(), Online, ""))
}

// A direct presence message counts only from a member, for a workgroup
// it is a member of; anything else is refused and changes nothing.
func TestDirectMessageRefusals(t *testing.T) {
	a, b, x := newHost(t), newHost(t), newHost(t)
	ma, mb := member(a, "a"), member(b, "b")
	other := workgroup.Member{Workgroup: "wgother", WorkgroupName: "other", Name: "x", PeerID: x.ID()}
	pa := startEvery(t, a, workgroup.NewStaticDirectory(a.ID(), ma, mb, other), 30*time.Second)
	connect(t, b, a)
	connect(t, x, a)
	send := func(from *p2p.Host, m message) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		st, err := from.NewStream(ctx, a.ID(), p2p.ProtoPresence)
		if err != nil {
			return // refused at once
		}
		defer st.Close()
		_ = wire.WriteFrame(st, m)
		_, _ = st.Read(make([]byte, 1)) // until a closes or resets it
	}
	future := uint64(time.Now().Add(time.Hour).UnixNano())
	// x is a member of another workgroup only: its claim for wg is void.
	send(x, message{Workgroup: wg, State: Busy, Text: "x", Seq: future, IntervalMS: 2000})
	// b's message for a workgroup b is not in.
	send(b, message{Workgroup: "wgother", State: Busy, Text: "b", Seq: future, IntervalMS: 2000})
	// b's malformed message.
	send(b, message{Workgroup: wg, State: "asleep", Seq: future})
	time.Sleep(200 * time.Millisecond)
	if got := pa.Of(wg, x.ID()); got.State != Offline {
		t.Fatalf("x's direct claim for a workgroup it is not in counted: %+v", got)
	}
	if got := pa.Of("wgother", b.ID()); got.State != Offline {
		t.Fatalf("b's direct claim for a workgroup it is not in counted: %+v", got)
	}
	if got := pa.seqOf(b.ID()); got == future {
		t.Fatal("b's malformed direct message counted")
	}
	// And a well-formed one from b for wg counts.
	send(b, message{Workgroup: wg, State: Busy, Text: "direct", Seq: future, IntervalMS: 2000})
	testutil.Eventually(t, 5*time.Second, wantState(pa, b.ID(), Busy, "direct"))
}
