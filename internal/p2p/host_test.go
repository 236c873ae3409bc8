package p2p

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/testutil"
)

func newTestHost(t testing.TB, addrs ...string) *Host {
	t.Helper()
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) == 0 {
		addrs = []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}
	}
	h, err := New(Config{Key: k, ListenAddrs: addrs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

type denyAll struct{}

func (denyAll) AllowPeer(peer.ID, bool) bool { return false }

func TestConnectAndPeers(t *testing.T) {
	t.Parallel()
	a, b := newTestHost(t), newTestHost(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id, err := a.Connect(ctx, b.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	if id != b.ID() {
		t.Fatalf("connected to %s want %s", id, b.ID())
	}
	ps := a.Peers()
	if len(ps) != 1 || ps[0].ID != b.ID() || ps[0].Link != LinkDirect || ps[0].Direction != "outbound" {
		t.Fatalf("peers of a: %+v", ps)
	}
	if ps[0].RTT <= 0 {
		t.Fatalf("rtt not measured: %+v", ps[0])
	}
	testutil.Eventually(t, 5*time.Second, func() error {
		if len(b.Peers()) != 1 {
			return fmt.Errorf("b lists %d peers", len(b.Peers()))
		}
		return nil
	})
	if pb := b.Peers(); len(pb) != 1 || pb[0].ID != a.ID() || pb[0].Direction != "inbound" {
		t.Fatalf("peers of b: %+v", pb)
	}
}

func TestConnectErrors(t *testing.T) {
	t.Parallel()
	a := newTestHost(t)
	ctx := context.Background()
	for _, addr := range []string{"not-an-addr", "/ip4/127.0.0.1/tcp/1", a.Addrs()[0]} {
		if _, err := a.Connect(ctx, addr); err == nil {
			t.Errorf("connect %q succeeded", addr)
		}
	}
}

func TestGateRefusesInbound(t *testing.T) {
	t.Parallel()
	a, b := newTestHost(t), newTestHost(t)
	b.SetGate(denyAll{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.Connect(ctx, b.Addrs()[0]); err == nil {
		// The handshake may finish on a's side before b closes; the
		// connection must not survive.
		time.Sleep(200 * time.Millisecond)
		if len(b.Peers()) != 0 {
			t.Fatal("gated peer holds a connection")
		}
	}
}

func TestAddrInUse(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	k, _, _ := crypto.GenerateEd25519Key(nil)
	_, err = New(Config{Key: k, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/" + strconv.Itoa(port)}})
	if !errors.Is(err, ErrAddrInUse) {
		t.Fatalf("want ErrAddrInUse, got %v", err)
	}
}

func TestAddrInUseByAnotherHost(t *testing.T) {
	t.Parallel()
	a := newTestHost(t, "/ip4/127.0.0.1/tcp/0")
	var tcpPort string
	for _, ad := range a.Host.Addrs() {
		if v, err := ad.ValueForProtocol(6); err == nil {
			tcpPort = v
		}
	}
	k, _, _ := crypto.GenerateEd25519Key(nil)
	_, err := New(Config{Key: k, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/" + tcpPort}})
	if !errors.Is(err, ErrAddrInUse) {
		t.Fatalf("second host on port %s: want ErrAddrInUse, got %v", tcpPort, err)
	}
}

// An address this machine lacks (as on a machine without IPv6) is
// skipped; the host starts on the others. With none left it refuses.
func TestMissingAddressSkipped(t *testing.T) {
	t.Parallel()
	missing := "/ip6/2001:db8::1/tcp/0" // documentation prefix: never assigned here
	tests := []struct {
		name   string
		addrs  []string
		wantOK bool
	}{
		{"IPv4 and a missing IPv6", []string{"/ip4/127.0.0.1/tcp/0", missing, "/ip6/2001:db8::1/udp/0/quic-v1"}, true},
		{"only missing addresses", []string{missing}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, _, _ := crypto.GenerateEd25519Key(nil)
			h, err := New(Config{Key: k, ListenAddrs: tc.addrs})
			if !tc.wantOK {
				if err == nil {
					h.Close()
					t.Fatal("host started with no address to listen on")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			for _, a := range h.Addrs() {
				if strings.Contains(a, "2001:db8") {
					t.Fatalf("listens on missing address: %s", a)
				}
			}
			if len(h.Addrs()) == 0 {
				t.Fatal("no listen address")
			}
		})
	}
}

// A node restarted at the same address is reached by Connect at once,
// although the dial that found it down put that address in backoff.
func TestConnectPastDialBackoff(t *testing.T) {
	t.Parallel()
	a := newTestHost(t)
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{Key: k, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addrs()[0]
	listen := strings.TrimSuffix(addr, "/p2p/"+b.ID().String())
	b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := a.Connect(ctx, addr); err == nil {
		t.Fatal("connected to a closed node")
	}
	b2, err := New(Config{Key: k, ListenAddrs: []string{listen}})
	if err != nil {
		t.Skipf("cannot listen at %s again: %v", listen, err)
	}
	defer b2.Close()
	if _, err := a.Connect(ctx, addr); err != nil {
		t.Fatalf("connect to the restarted node: %v", err)
	}
}
