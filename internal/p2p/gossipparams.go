package p2p

import pubsub "github.com/libp2p/go-libp2p-pubsub"

// hostGossipParams are the host router's gossipsub parameters:
// gossipsub's defaults with a smaller mesh and less gossip (s8-idle).
//
// The router flood-publishes (the author sends to every topic peer it is
// connected to), so in a workgroup whose members are connected to each
// other every member has a message from its author, and what the mesh
// forwards on top is duplicates: with the default mesh (D 6) an idle
// member of 20 received 11 copies a second of the 1.9 new presence
// heartbeats (5.8 duplicates each) and handled 16.8 gossip RPCs a second
// each way. With D 3 (Dlo 2, Dhi 6) and Dlazy 3: 4.1 duplicates a second
// (2.2 each), 8.7 RPCs each way, and the node's idle CPU fell from 6.7 to
// 5.3 ms/s (docs/design/records/2026-11-30-s8-idle.md). The mesh still carries messages to
// the members the author is not connected to (a MaxConns cap, a large
// workgroup): every member keeps 2 to 6 mesh peers per topic, a random
// graph of degree 2 or more, and gossip (IHAVE to max(Dlazy, a quarter
// of the non-mesh peers) each heartbeat) repairs a lost copy, as before.
// Dout must stay below D/2: 0 (no outbound quota; every topic peer is a
// member admitted by the gate, and the router runs no peer scoring).
func hostGossipParams() pubsub.GossipSubParams {
	p := pubsub.DefaultGossipSubParams()
	p.D, p.Dlo, p.Dhi, p.Dscore, p.Dout = 3, 2, 6, 2, 0
	p.Dlazy = 3
	return p
}

// hostRouterParams is the host router's option for hostGossipParams.
func hostRouterParams() pubsub.Option {
	return pubsub.WithGossipSubParams(hostGossipParams())
}
