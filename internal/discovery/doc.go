// Package discovery owns finding the members of this node's workgroups
// and staying connected to them, and the browse list.
//
//   - The address book (SQLite family "discovery", table discovery_addrs)
//     keeps every address this node learns for a member, with its source
//     (identify: its listen addresses; dialled: the address a connection
//     this node opened reached it on; presence: announced in a heartbeat,
//     written when the set changes or every 10 min; dht: found in the
//     workgroup DHT), the time a connection on it last worked, and a
//     per-address dial backoff: an address whose dial failed n times in a
//     row is not dialled for 10 s * 2^(n-1), at most 2 min (it is taken
//     out of the peerstore meanwhile, so no dial uses it); a connection on
//     it ends the backoff; an address the member announced in a heartbeat
//     within the last minute is dialled whatever its backoff (the member
//     is up: a restart on the same port). Only addresses usable from this
//     node are kept (p2p.UsableAddrs: no other machine's loopback; private
//     ranges only with a private address here or a private link). On start and every
//     Tick (500 ms; a tick finds nothing to do without listing the
//     members when the connected members number all of them, and once
//     that was found, does nothing at all until a connection opens or
//     closes or the roster's generation moves: idleround.go) the service
//     dials members it is not connected to, from the
//     book and the peerstore, with exponential backoff per member (1 s
//     doubling to MaxBackoff; reset on any connection and when mDNS sees
//     the member). A connection that ends within 10 s of opening (the
//     member's gate no longer admits this node, say) doubles the wait
//     before the next dial each time instead of redialling after a
//     second (flap.go). Members of a workgroup this node was removed from
//     are not members here (workgroup.Roster.Memberships): they are not
//     dialled.
//   - Members whose last dial failed are looked up again in the DHT every
//     30 s (4 per 5 s tick at most) while this node reaches any member,
//     whatever their backoff; an address found is kept and dialled at
//     once (a member that came back on a new port is found through the
//     members that see it).
//   - Any dial to a member tries its relays: every 5 s, the circuit
//     addresses of members not connected through each connected member
//     that runs the relay service go into the peerstore (1 min TTL), so a
//     files or tunnel stream (a user's `ls b:`) reaches a member behind a
//     NAT through the relay it holds a reservation on. Browse shows, next
//     to presence, whether this node has a route (Reach: connected, no
//     route when the last dial failed, unknown), the link and RTT of the
//     connection in use, and no address for an offline member not
//     connected.
//   - MemberRoutes (for status) counts members connected and without a
//     route; a node that has members but reaches none of them (every
//     dial failed) is alone: the log warns once, 30 s into it, and once
//     more when a member is reached again.
//   - MaxConns caps the member connections this node dials (dials in
//     flight count). Members with known addresses are dialled first;
//     under a cap, a node connected to any member never looks the others
//     up in the DHT (their heartbeats bring their addresses).
//   - LAN: mDNS (service "_peerhood._udp", mdns.go) announces this node
//     and dials the members it hears of. Non-members are not dialled; the
//     gate of the workgroup layer refuses them anyway. The wire is
//     libp2p's mDNS (a random 32-character instance name, TXT strings
//     "dnsaddr=<multiaddr>/p2p/<peer ID>", SRV, A/AAAA), so nodes that run
//     libp2p's (older peerhood) and this one find each other; the
//     implementation is this package's (miekg/dns), for its idle cost:
//     with libp2p's, 20 nodes on one host spent ~5 of their 12 ms/s of
//     idle CPU on mDNS (every node queried every 4-60 s without known
//     answers, and every node answered every query on both IP families,
//     each answer parsed by every node's two sockets per family). Here:
//     one socket per IP family answers and browses; a query lists, as
//     known answers (RFC 6762 7.1), this node and every instance heard
//     with more than half its TTL (75 min) left, split over packets of at
//     most 1,400 bytes with the TC bit (7.2; a truncated query waits
//     450 ms for the rest of its known answers before being answered), so
//     a node that knows everyone on the LAN makes no one answer; an
//     answer goes only on the family and interface the query came in on,
//     at most once a second per family (6); queries go at start, 1 s
//     later, then doubling up to every 5 min, and from the start again
//     (with two announcements) when this node's addresses change; a node
//     announces itself twice at start (1 s apart; that is how the nodes
//     already there find it) and says goodbye (TTL 0) on Close; packets
//     that do not contain the service's label are dropped unparsed.
//   - Across networks: each workgroup has its own Kademlia DHT (server
//     mode on every member, no values or provider records). Its protocol
//     prefix is /peerhood/dht/<tag>, the tag the first 16 characters of
//     base32(SHA-256("peerhood dht v1\x00" || workgroup ID)): identify
//     lists a node's protocols to every peer that connects, strangers
//     included, and the tag does not tell them the workgroup ID (nodes of
//     one workgroup share a tag, so it links them). The DHT answers
//     members of its workgroup only: its stream handler resets a stream
//     from anyone else (a stranger on probation, a member of another
//     workgroup) before reading it (membersOnlyHost), so FIND_NODE gives
//     strangers nothing. A member's request on such a stream is capped at
//     64 KiB (cappedStream: kad allocates any announced length up to
//     4 MiB outside the resource manager; a FIND_NODE is a few dozen
//     bytes), the stream reset before kad reads a longer length.
//     Only members enter its routing table and its
//     queries; an empty routing table is filled only from members'
//     known addresses, never from public bootstrap peers, and the table is
//     not refreshed (a refresh connects to most of a small network). A
//     member with no known (or no working) address is looked up there by
//     peer ID.
//   - NAT: the host (internal/p2p) runs AutoNAT, the circuit relay v2
//     service while publicly reachable (reservations for members only,
//     circuits between members of one workgroup only: the gate's
//     p2p.RelayGate; strangers never), and
//     autorelay; RelayCandidates feeds autorelay with members that run the
//     relay service, so no server outside the workgroup is used. Hole
//     punching (DCUtR, run and retried by the host: see internal/p2p)
//     upgrades relayed links where the NATs allow; the host tags them.
//
// Presence lives in internal/presence (its own gossipsub topic); Browse
// joins the roster (workgroup.Directory), presence, addresses, link type
// and round-trip time into one list per workgroup. GET /v1/browse
// (routes.go) adds each reachable member's shares (Config.Shares, the
// share service's SharesOf): the answers are cached per member
// (sharelists.go), one request per member under way and 16 at once;
// browse waits at most one second for them and lists a slow member's
// last known shares, so one member cut off by the network does not hold
// every browse. With Config.Services (the tunnel service's ServicesOf)
// each entry also lists the TCP services the member lets this node use,
// asked at the same time and cached the same way (servicelists.go).
// These requests outlive the browse that started them: they are the
// service's work (Service.bg, a bgwork.Group), ended and waited for by Close,
// and none starts once Close began.
//
// A member that appears offline (logged off, or gone) is listed with no
// link and no round-trip time, even while its node stays connected (it
// may still relay or deliver). "Last seen" is presence's last "heard
// online", or, for a member not heard since this node started, the time
// kept in table discovery_last_seen (lastseen.go: written at most once a
// minute and when the service closes).
package discovery
