// Package p2p owns the node's libp2p host: transports (TCP and QUIC, IPv4
// and IPv6), security (TLS 1.3 offered before Noise: bulk transfers are
// faster over TLS), the yamux muxer, the resource and connection managers,
// NAT traversal (AutoNAT, circuit relay v2, hole punching), the connection
// gate, and the protocol IDs of every peerhood protocol.
//
// The host knows nothing of services: a service registers its stream
// handlers with Handle, and the workgroup layer installs the Gate that
// decides which peers may connect at all.
//
// Limits are explicit. libp2p's defaults cap a node at about 250 inbound
// connections and 8 per IP address; a peerhood node holds at least
// MaxPeers connections, with up to PerIPConns from one address (many
// members can sit behind one NAT).
package p2p
