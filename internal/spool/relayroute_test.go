package spool

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/client"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/p2p/p2ptest"
	"github.com/peerhood/peerhood/internal/testutil"
)

// relayAll is the gate of a test relay: anyone connects and relays.
type relayAll struct{}

func (relayAll) AllowPeer(peer.ID, bool) bool   { return true }
func (relayAll) AllowReserve(peer.ID) bool      { return true }
func (relayAll) AllowCircuit(_, _ peer.ID) bool { return true }

// Mail handed over a relayed connection says so in `queue`: ROUTE
// relayed, not direct.
func TestDeliveryRouteRelayed(t *testing.T) {
	t.Parallel()
	r := p2ptest.New(t, nil, func(c *p2p.Config) { c.Reachability = p2p.ReachPublic })
	r.SetGate(relayAll{})
	alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
	group(alice, bob)
	alice.start()
	bob.start()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rai := peer.AddrInfo{ID: r.ID(), Addrs: r.Network().ListenAddresses()}
	testutil.Eventually(t, 10*time.Second, func() error {
		if on, _ := r.RelayService(); !on {
			return fmt.Errorf("relay service off")
		}
		_, err := client.Reserve(ctx, bob.host.Host, rai)
		return err
	})
	circuit, err := ma.NewMultiaddr(fmt.Sprintf("%s/p2p/%s/p2p-circuit", r.Host.Addrs()[0], r.ID()))
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.host.Host.Connect(ctx, peer.AddrInfo{ID: bob.id.PeerID, Addrs: []ma.Multiaddr{circuit}}); err != nil {
		t.Fatal(err)
	}
	mails, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "hi", Body: "through the relay"})
	if err != nil {
		t.Fatal(err)
	}
	if j := waitState(t, alice, mails[0].ID, StateDelivered); j.Route != "relayed" {
		t.Fatalf("route %q, want relayed", j.Route)
	}
}
