package p2p

import (
	"context"
	"fmt"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	ma "github.com/multiformats/go-multiaddr"
)

// ConnectReport says how ConnectAddr reached a peer at the address given.
type ConnectReport struct {
	ID     peer.ID
	Dialed ma.Multiaddr // the address given, without /p2p/
	// Via is the remote address of the connection the peer is kept on:
	// Dialed itself, or another one it was already connected through.
	Via ma.Multiaddr
	// Probed: the peer was connected through another address, so
	// Dialed was checked by a fresh connection of its own (security
	// handshake included), closed at once.
	Probed bool
}

// ConnectAddr dials the peer at exactly the address addr names (ending
// in /p2p/PEERID) and fails when that address does not answer, even if
// the peer is connected through another one: `peerhood connect` is a
// diagnostic of that address. A peer not connected is dialled at that
// address only; a peer connected already is checked with a fresh
// connection to that exact multiaddr through its transport (TCP or QUIC,
// security handshake and peer ID check included), closed at once, and
// stays connected as it was.
func (h *Host) ConnectAddr(ctx context.Context, addr string) (ConnectReport, error) {
	info, err := ParsePeerAddr(addr)
	if err != nil {
		return ConnectReport{}, err
	}
	if info.ID == h.ID() {
		return ConnectReport{}, fmt.Errorf("address %q is this node itself", addr)
	}
	if len(info.Addrs) != 1 {
		return ConnectReport{}, fmt.Errorf("address %q names no transport address before /p2p/", addr)
	}
	rep := ConnectReport{ID: info.ID, Dialed: info.Addrs[0]}
	for _, c := range h.Network().ConnsToPeer(info.ID) {
		if c.RemoteMultiaddr().Equal(rep.Dialed) {
			rep.Via = c.RemoteMultiaddr()
			return rep, nil // connected on exactly this address
		}
	}
	sw, ok := h.Network().(*swarm.Swarm)
	if !ok {
		return rep, fmt.Errorf("connect: the host's network is not a swarm")
	}
	if conns := h.Network().ConnsToPeer(info.ID); len(conns) > 0 {
		tpt := sw.TransportForDialing(rep.Dialed)
		if tpt == nil {
			return rep, fmt.Errorf("no transport of this node dials %s", rep.Dialed)
		}
		c, err := tpt.Dial(ctx, rep.Dialed, info.ID)
		if err != nil {
			return rep, fmt.Errorf("%s does not answer (%w); %s stays connected through %s", rep.Dialed, err, info.ID, conns[0].RemoteMultiaddr())
		}
		_ = c.Close()
		rep.Probed, rep.Via = true, conns[0].RemoteMultiaddr()
		h.measure(ctx, info.ID)
		return rep, nil
	}
	// Not connected: this address only, past any dial backoff.
	sw.Backoff().Clear(info.ID)
	h.Peerstore().AddAddr(info.ID, rep.Dialed, peerstore.TempAddrTTL)
	c, err := sw.DialPeer(network.WithForceDirectDial(ctx, "connect to a given address"), info.ID)
	if err != nil {
		return rep, fmt.Errorf("connect to %s: %w", info.ID, err)
	}
	rep.Via = c.RemoteMultiaddr()
	if !rep.Via.Equal(rep.Dialed) {
		// The swarm chose another known address: check the given one too.
		if _, err := h.ConnectAddr(ctx, addr); err != nil {
			return rep, err
		}
		rep.Probed = true
	}
	h.measure(ctx, info.ID)
	return rep, nil
}
