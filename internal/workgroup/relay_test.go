package workgroup

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/client"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testutil"
)

// newStranger starts a bare host with a fresh identity.
func newStranger(t *testing.T) *p2p.Host {
	t.Helper()
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := p2p.New(p2p.Config{Key: k, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Log: testLog()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// circuitTo is the address of dst through relay.
func circuitTo(t *testing.T, relay *tnode, dst peer.ID) peer.AddrInfo {
	t.Helper()
	a, err := ma.NewMultiaddr(relay.host.Host.Addrs()[0].String() + "/p2p/" + relay.host.ID().String() + "/p2p-circuit")
	if err != nil {
		t.Fatal(err)
	}
	return peer.AddrInfo{ID: dst, Addrs: []ma.Multiaddr{a}}
}

// waitRelay waits until relay runs the circuit relay service.
func waitRelay(t *testing.T, relay *tnode, from *p2p.Host) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, func() error {
		if ok, _ := from.Peerstore().SupportsProtocols(relay.host.ID(), "/libp2p/circuit/relay/0.2.0/hop"); len(ok) == 0 {
			return errf("%s does not run the relay service yet", relay.name)
		}
		return nil
	})
}

// Issue 16 item 11: with an invite outstanding (so the gate lets
// strangers connect, to join), two strangers cannot relay through a
// publicly reachable member: no reservation, no circuit. Two members
// can.
func TestRelayMembersOnly(t *testing.T) {
	t.Parallel()
	alpha := &tnode{t: t, name: "alpha", dir: t.TempDir(), reach: p2p.ReachPublic}
	alpha.start()
	t.Cleanup(alpha.stop)
	bravo, charlie := newTNode(t, "bravo"), newTNode(t, "charlie")
	mustCreate(t, alpha, "office")
	mustJoin(t, bravo, mustInvite(t, alpha, InviteOptions{}), "")
	mustJoin(t, charlie, mustInvite(t, alpha, InviteOptions{}), "")
	mustInvite(t, alpha, InviteOptions{}) // outstanding: strangers may connect
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	x, y := newStranger(t), newStranger(t)
	for _, s := range []*p2p.Host{x, y} {
		if err := s.Host.Connect(ctx, alpha.info()); err != nil {
			t.Fatalf("a stranger cannot connect while an invite is out: %v", err)
		}
	}
	waitRelay(t, alpha, x)
	if _, err := client.Reserve(ctx, x.Host, alpha.info()); err == nil {
		t.Error("a stranger got a relay reservation")
	}
	if err := y.Host.Connect(ctx, circuitTo(t, alpha, x.ID())); err == nil {
		t.Error("a stranger reached another stranger through the relay")
	} else {
		t.Logf("stranger to stranger: %v", err)
	}

	// Members relay for each other.
	if _, err := client.Reserve(ctx, bravo.host.Host, alpha.info()); err != nil {
		t.Fatalf("a member's reservation: %v", err)
	}
	_ = charlie.host.Network().ClosePeer(bravo.host.ID())
	charlie.host.Peerstore().ClearAddrs(bravo.host.ID())
	if err := charlie.host.Host.Connect(ctx, circuitTo(t, alpha, bravo.host.ID())); err != nil {
		t.Fatalf("a member cannot reach a member through the relay: %v", err)
	}
	if l := charlie.host.Link(bravo.host.ID()); l != p2p.LinkRelayed {
		t.Fatalf("charlie reaches bravo %s, want through the relay", l)
	}
	// A stranger cannot reach a member through it either.
	if err := y.Host.Connect(ctx, circuitTo(t, alpha, bravo.host.ID())); err == nil {
		t.Error("a stranger reached a member through the relay")
	} else {
		t.Logf("stranger to member: %v", err)
	}
}
