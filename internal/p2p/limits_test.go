package p2p

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	peertest "github.com/libp2p/go-libp2p/core/test"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	libp2ptls "github.com/libp2p/go-libp2p/p2p/security/tls"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	"github.com/libp2p/go-libp2p/x/rate"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/testutil"
)

// libp2p's defaults that a peerhood node must exceed.
const (
	libp2pDefaultPerIP   = 8
	libp2pDefaultInbound = 256
)

// dialer is a light libp2p client host (TCP + TLS, no listener, no
// limits of its own) standing for one remote peer.
func dialer(t testing.TB) host.Host {
	t.Helper()
	h, err := libp2p.New(
		libp2p.NoListenAddrs,
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Security(libp2ptls.ID, libp2ptls.New),
		libp2p.ResourceManager(&network.NullResourceManager{}),
		libp2p.DisableMetrics(),
		libp2p.DisableRelay(),
		libp2p.Ping(false),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// connectMany connects n fresh dialers to target, at most par at a time,
// and returns how many failed (with the first error).
func connectMany(t testing.TB, target peer.AddrInfo, n, par int) (failed int, first error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, par)
	hosts := make([]host.Host, n)
	for i := range hosts {
		hosts[i] = dialer(t)
	}
	for _, h := range hosts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := h.Connect(ctx, target); err != nil {
				mu.Lock()
				failed++
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return failed, first
}

// A node holds far more inbound connections than libp2p's default cap
// (about 250), all from one IP address: real hosts dialing over loopback.
// The full 1,000 run against the real binary in bench/nodebench.
func TestHoldsManyInboundConnections(t *testing.T) {
	t.Parallel()
	const n = 300
	srv := newTestHost(t, "/ip4/127.0.0.1/tcp/0")
	target := peer.AddrInfo{ID: srv.ID(), Addrs: srv.Host.Addrs()}
	// Four dials at a time: each dial must finish within libp2p's
	// deadline for a local address (5 s, TCP, TLS and yamux), and here
	// both ends of every handshake share this process's CPU, so a dial's
	// time grows with how many run at once; 32 at once took over 5 s on
	// a loaded machine (load average 11). The test is about how many
	// connections the node holds, not how fast they open.
	if failed, err := connectMany(t, target, n, 4); failed > 0 {
		t.Fatalf("%d of %d connections failed; first: %v", failed, n, err)
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		if got := len(srv.Network().Peers()); got < n {
			return fmt.Errorf("node lists %d peers, want %d", got, n)
		}
		return nil
	})
	if got := len(srv.Peers()); got != n {
		t.Fatalf("node lists %d peers, want %d (> libp2p's default %d)", got, n, libp2pDefaultInbound)
	}
	// They stay: the connection manager's low water mark is above n.
	time.Sleep(200 * time.Millisecond)
	if got := len(srv.Network().Conns()); got < n {
		t.Fatalf("connections trimmed to %d", got)
	}
}

// The resource manager a node runs with admits, from one IP address
// (members behind one NAT), far more than libp2p's default of 8, up to
// PerIPConns, and MaxPeers connections in all. Loopback is exempt from
// per-IP limits in libp2p, so this asks the real resource manager about
// public addresses directly. The counts are checked with the rate limiter
// lifted (it would make the test wait minutes); the rate limiter's burst
// is checked on its own.
func TestResourceManagerLimits(t *testing.T) {
	t.Parallel()
	oneIP4 := func(i int) string { return fmt.Sprintf("/ip4/198.51.100.7/tcp/%d", 1000+i) }
	oneNet6 := func(i int) string { return fmt.Sprintf("/ip6/2001:db8:1:2::%x/tcp/4317", i+1) }
	many := func(i int) string { return fmt.Sprintf("/ip4/203.0.%d.%d/tcp/4317", i/250, i%250+1) }
	tests := []struct {
		name      string
		unlimited bool // lift the rate limiter
		dir       network.Direction
		addrOf    func(i int) string
		admit     int // all of these must be admitted
		refuse    bool
	}{
		{"one IPv4 address: PerIPConns", true, network.DirInbound, oneIP4, PerIPConns, true},
		{"one IPv6 /64: PerIPConns", true, network.DirInbound, oneNet6, PerIPConns, true},
		{"MaxPeers inbound from many addresses", true, network.DirInbound, many, MaxPeers, false},
		{"MaxPeers outbound to many addresses", true, network.DirOutbound, many, MaxPeers, false},
		{"burst from one IPv4 address", false, network.DirInbound, oneIP4, ConnBurstPerIP, true},
		{"burst of dials to one IPv4 address", false, network.DirOutbound, oneIP4, ConnBurstPerIP, true},
		{"burst from one IPv6 /64", false, network.DirInbound, oneNet6, ConnBurstPerIP, true},
	}
	if PerIPConns <= libp2pDefaultPerIP || ConnBurstPerIP <= 2*libp2pDefaultPerIP || MaxPeers < 1000 {
		t.Fatalf("limits below what a node needs: PerIPConns=%d ConnBurstPerIP=%d MaxPeers=%d", PerIPConns, ConnBurstPerIP, MaxPeers)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts []rcmgr.Option
			if tc.unlimited {
				opts = append(opts, rcmgr.WithConnRateLimiters(&rate.Limiter{}))
			}
			rm, err := newResourceManager(opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer rm.Close()
			var scopes []network.ConnManagementScope
			defer func() {
				for _, s := range scopes {
					s.Done()
				}
			}()
			open := func(i int) (network.ConnManagementScope, error) {
				s, err := rm.OpenConnection(tc.dir, true, ma.StringCast(tc.addrOf(i)))
				if err != nil {
					return nil, err
				}
				// Once secured, a connection leaves the transient scope
				// for its peer's, as in the swarm.
				if err := s.SetPeer(peertest.RandPeerIDFatal(t)); err != nil {
					s.Done()
					return nil, err
				}
				return s, nil
			}
			start := time.Now()
			for i := 0; i < tc.admit; i++ {
				s, err := open(i)
				if err != nil {
					t.Fatalf("connection %d of %d refused: %v", i+1, tc.admit, err)
				}
				scopes = append(scopes, s)
			}
			if !tc.refuse {
				return
			}
			if tc.unlimited { // a count limit: the next one is refused
				if s, err := open(tc.admit); err == nil {
					s.Done()
					t.Fatalf("connection %d admitted: limit not applied", tc.admit+1)
				}
				return
			}
			// The rate limiter's bucket refills ConnRatePerIP tokens a
			// second: on a slow machine (-race, 2 busy cores) the burst
			// may take longer than a refill, so what it gave back since
			// the start may be admitted too, and nothing more.
			for extra := 0; ; extra++ {
				s, err := open(tc.admit + extra)
				if err != nil {
					return
				}
				scopes = append(scopes, s)
				if refilled := int(time.Since(start).Seconds()*ConnRatePerIP) + 1; extra+1 > refilled {
					t.Fatalf("connection %d admitted after a burst of %d in %v: limit not applied", tc.admit+extra+1, tc.admit, time.Since(start))
				}
			}
		})
	}
}
