package p2p

import (
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	ma "github.com/multiformats/go-multiaddr"
)

// ErrNoRoute reports a member that no address reached: none of its
// direct addresses and none of the relays it was tried through.
var ErrNoRoute = errors.New("no route")

// NoRoute turns the swarm's failure to dial p into a plain statement:
// "no route to P (tried N direct addresses and M relays)", wrapping
// ErrNoRoute and err. Other errors come back as they are.
func NoRoute(ps interface {
	Addrs(peer.ID) []ma.Multiaddr
}, p peer.ID, err error) error {
	var de *swarm.DialError
	if err == nil || !(errors.Is(err, swarm.ErrNoAddresses) || errors.Is(err, swarm.ErrNoGoodAddresses) ||
		errors.Is(err, swarm.ErrAllDialsFailed) || errors.Is(err, swarm.ErrDialBackoff) || errors.As(err, &de)) {
		return err
	}
	direct, relayed := 0, 0
	for _, a := range ps.Addrs(p) {
		if isRelayed(a) {
			relayed++
		} else {
			direct++
		}
	}
	return fmt.Errorf("%w to %s (tried %d direct addresses and %d relays): %w", ErrNoRoute, p, direct, relayed, err)
}
