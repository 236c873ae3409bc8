// Command presence200 measures roster and presence convergence with N
// in-process members: real libp2p hosts (TCP on 127.0.0.1, or with -quic
// QUIC each on its own loopback address 127.2.x.y), each with its own
// identity, SQLite database, workgroup service (roster, gate, join, roster
// gossip and sync), presence and discovery services.
//
// Member 0 creates a workgroup and prints one invite of N-1 uses; the
// other members join with it, -joiners at a time. From the first join it
// reports how long until
//
//   - every member holds the full roster (N valid certificates: roster
//     convergence; carried by the join replies, roster gossip and the
//     anti-entropy sync on connect),
//   - every member holds its connections (-maxconns members each, or a
//     full mesh; discovery via the workgroup DHT), and
//   - every member sees every other online (presence convergence),
//
// then how long one departed member (host closed, no goodbye) takes to
// show offline on all the others, and how long the removal of a live
// member by the admin takes to reach every other member (revocation held,
// connection to it closed).
//
//	go run ./bench/presence200 -n 200 -maxconns 12
package main
