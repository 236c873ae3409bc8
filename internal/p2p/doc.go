// Package p2p owns the node's libp2p host: transports (TCP and QUIC, IPv4
// and IPv6), security (TLS 1.3 offered before Noise: bulk transfers are
// faster over TLS), the yamux muxer, the resource and connection managers,
// NAT traversal (AutoNAT, circuit relay v2, hole punching), the connection
// gate, and the protocol IDs of every peerhood protocol.
//
// Host.ConnectAddr (`peerhood connect`) dials exactly the address given
// and fails when it does not answer, even while the peer is connected
// through another: that one is checked with a fresh connection of its
// own through its transport (handshake and peer ID included), closed at
// once; the report names the address dialled and the one kept.
//
// Gossip: PubSub is the host's gossipsub router (envelopes signed by
// their author: StrictSign), for payloads whose author the validators
// take from the envelope (roster, presence); it flood-publishes, with a
// mesh of 3 (D 3, Dlo 2, Dhi 6, Dlazy 3: gossipparams.go; the default 6
// made an idle member of 20 receive 5.8 duplicates of each heartbeat). ChatPubSub is a second
// router on its own protocol ID (/peerhood/chat/gossip/1.2.0) without
// envelope author or signature (StrictNoSign), for payloads signed by
// their authors themselves (chat), with a content message ID and a
// smaller mesh. Both apply the same admission (the gate's topic check on
// subscriptions, peers and RPCs); ResetGossip and the move off relays
// reset the streams of both. Neither router dials (gossipHost): gossip
// rides the connections there are; so does the RTT measurement. Both
// run from goroutines started on a connection that the gate may have
// cut by then, and a dial made an outbound connection, which the gate
// allows. gossipsub forgets a peer whose writer failed to open and opens
// none again until the peer is identified anew; so gossipHost tries the
// open again (up to 5 times over 1.5 s) while the peer stays connected:
// a writer opened on a connection that closed under it, while another
// stayed, left that peer without this node's gossip (s15-flakes). The chat router's traffic is counted in
// peerhood_chat_gossip_total{what} (new, duplicate, sent, idontwant).
//
// Lost subscriptions (gossipannounce.go): gossipsub (v0.19.0) forgets a
// peer's subscriptions when its own writer stream to the peer dies and
// learns them again only from the hello on the peer's next writer; when
// that hello is applied first (ResetGossip resets both ways; the death
// and the hello reach the router's event loop from two goroutines), the
// peer stays connected and in the router's peers but in no topic, for
// good (docs/design/records/2026-11-30-s7-gossipreset.md). So each router
// sends this node's subscriptions again (one RPC frame of subscriptions,
// written on the writer gossipsub already has: gossipHost wraps it)
// whenever a peer may have forgotten them: when the peer opens a new
// writer here (gossipsub opens it right after forgetting, so the frame
// is applied after: this closes the race whatever the timing), a second
// after this node opens a writer (the peer also forgets when this node's
// old writer closes, which can be applied late), and periodically (ping
// loop: 20 s after a writer to or from the peer opened, then at gaps
// doubling up to 2 min while none opens). A peer that never lost them
// just sets them again (no event).
// It resets nothing, spends none of gossipsub's four writer reopens per
// ten minutes and dials no one; the peer's filters judge the frame as
// any subscription. The frame goes between two of gossipsub's frames
// (writes are serialised and frame boundaries tracked), never before its
// hello (the first frame carries the extensions), and the topic list is
// read while gossipsub's writes wait, so an unsubscribe is never
// overtaken by a stale list. Rejected: resetting again until both ends
// list each other (each reset re-runs the race and spends the reopen
// budget; every service would have to register the topics each member
// must be in), and resetting one direction only (the end whose writer
// dies forgets, and nothing makes the other end send its hello again).
// Host.HoldGossipDeath forces the losing order for tests. The wrapped
// writer also coalesces gossipsub's write deadline (30 s ahead, set
// before every frame; yamux makes a timer and a channel each time): it
// is moved only when the one set is 5 s or more earlier than asked.
//
// Subscriptions told only to peers admitted (gossipsubs.go): gossipsub
// tells every peer it opens a writer to all of this node's subscriptions
// (its hello) and every later change, whoever the peer; a topic's name
// carries a workgroup ID and a room's name. The wrapped writer reads each
// frame the router writes (one per Write) and takes out the
// subscriptions to topics the gate's topic check (with the services'
// checks) refuses the peer, so a stranger, a peer this node dialled or a
// member of another workgroup only is told none of them; the re-announce
// sends only the admitted ones. A frame with nothing to take out goes as
// it is (only scanned); a write that is not one whole frame is refused
// and the writer reset. A peer admitted later is told at its next
// gossip reset (ResetGossip: workgroup on a new membership, chat on a
// gained room) or re-announce.
//
// The host knows nothing of services: a service registers its stream
// handlers with Handle, and the workgroup layer installs the Gate that
// decides which peers may connect at all. A Gate may also implement
// AddrGate (judge a new connection with its remote address: per-address
// bounds), TopicGate (which peers take part in which gossipsub topic;
// ResetGossip makes both ends exchange subscriptions again once the
// answer for a connected peer changes) and RelayGate (who may reserve a
// relay slot and open a circuit here: with it, the relay ACL does not
// fall back to AllowPeer, which admits strangers for a while). A service
// narrows the per-workgroup topics it owns with AddTopicCheck (chat: a
// room's topic only to the members its access list lets in): a topic is
// admitted when the TopicGate and every check registered for it admit
// the peer; the checks sit behind the host's filters (subscription filter,
// peer filter), so any router built on them applies them.
//
// Limits are explicit. libp2p's defaults cap a node at about 250 inbound
// connections and 8 per IP address; a peerhood node holds at least
// MaxPeers connections, with up to PerIPConns from one address (many
// members can sit behind one NAT).
//
// One member must not be able to exhaust the node (limits.go). The
// resource manager counts, per peer: at most PeerStreamsInbound (256)
// streams towards this node and PeerMemory (64 MiB) of memory, a fixed
// figure rather than one scaled to the machine. Memory is what yamux
// reserves for each stream's receive window (256 KiB when it opens, more
// as it grows, at priority 128: only while the peer's scope is half
// free), what wire.Reader reserves for each frame body, and what
// transfers reserve for their buffers (internal/share), both at priority
// high or lower: they stop at 80% of a scope, so they never take the
// room yamux needs to open the peer's next stream (a refused stream
// window closes the whole connection). ProtoLimits sets, per peer and
// protocol, the streams and memory of peerhood's protocols: files 64
// streams and 24 MiB, roster 2 streams and 20 MiB (one 8 MiB frame at a
// time: a decoded frame counts twice), join 2 inbound and 20 MiB, hello
// and presence 4 streams and 1 MiB, history 4 and 12 MiB, dm 8 and
// 8 MiB, chat push 4 and 1 MiB, deliver and mailbox 32 and 20 MiB (two
// 4 MiB request frames at once), tunnel TunnelStreamsPerPeer (224)
// each way and 16 MiB (one stream per forwarded TCP connection);
// other protocols keep libp2p's defaults (64 streams and more, 16 MiB;
// a workgroup's DHT, whose protocol ID is per workgroup, caps a
// member's requests at 64 KiB instead: internal/discovery). A stream
// over a limit is reset when its protocol is negotiated.
//
// Streams in negotiation (negotiating.go): before a stream has named its
// protocol (multistream, up to libp2p's 10 s timeout) it sits in the
// resource manager's transient scope, whose TransientStreamsInbound
// (512) slots all peers share; rcmgr has no per-peer limit there, so
// two members at PeerStreamsInbound each, opening streams that never
// negotiate, refused every other peer's new streams, again after each
// timeout. A cap per peer on such streams cannot tell that hold from an
// honest burst (200 tunnel connections at once are 200 streams in
// negotiation for a moment; a cap of 64 reset them, reverted), so the
// node refuses by age: negotiationGuard wraps the resource manager (to
// see inbound streams open, name their protocol and end) and the
// swarm's stream handler (to hold each stream). When an inbound stream
// arrives with TransientStreamsInbound-NegotiationHeadroom (480)
// streams in negotiation, the guard first resets (code: resource limit
// exceeded) the oldest stream still negotiating of the peer holding the
// most streams in negotiation for longer than NegotiationGrace (1 s),
// or, none being that old, of the peer holding the most; the victim's
// slot is released at once. An honest stream names its protocol within
// a round trip and is neither old nor, with a few in flight, the
// largest holder; one peer alone (at most 256) never reaches the mark;
// so a burst passes whole and a hold of silent streams costs its
// holders their own streams, not anyone else's. /metrics shows
// peerhood_p2p_negotiation_resets_total (steadily rising: someone holds
// silent streams) and peerhood_p2p_streams_negotiating (negmetrics.go).
//
// There is no rate limit on opening streams beyond these counts: a stream refused
// costs the node a negotiation, and one served is bounded by the above.
// With these limits, one member with 1,000 streams (stalled reads,
// 16 MiB frames, junk roster pushes) raised a node's RSS by under
// 100 MB where it took 2.3 GB before (test/e2e TestHostileMemberResources).
//
// NAT traversal: a node behind a NAT reserves a slot on relays (members
// running the relay service; see SetRelaySource) and is reached through
// them first; then DCUtR hole punching makes the link direct where the
// NATs allow. Hole punching needs this node's external address: peers
// report the address they see in identify, and it counts only for a
// connection from a listening socket, which in practice means QUIC
// (TCP dials use ephemeral ports; reuseport is off, see host.go). So
// peers with public addresses only are dialled QUIC first, LAN peers TCP
// first (dialrank.go). The host runs the hole-punch service itself
// (punch.go): it punches from those observed addresses and retries every
// peer still reached only through a relay, every 5 s, at most once a
// minute per peer, so a link relayed before this node learnt its
// address is still upgraded. Links made by a punch are reported as
// hole-punched (Peers, Link). A symmetric NAT (a new outside port per
// destination) cannot be punched: such links stay relayed.
//
// A new public address (reobserve.go): a gateway that comes back with a
// new address leaves this node's QUIC connections to public peers
// working (quic-go follows the path) but their identify results old,
// so the puncher would punch from the old address until its
// observation expired (30 min). When a direct connection closes while
// its peer stays connected through a relay, or a punch fails, the
// puncher asks up to 3 peers it has a direct public QUIC connection to
// (always-on ones first) what they see, each on a fresh connection from
// the listening socket through the QUIC transport (a fresh NAT
// mapping), with libp2p's identify request (/ipfs/id/1.0.0: the first
// answer message's observed address, read up to 8 KiB; no new wire
// exchange), and closes it. The answers replace the older observations
// of that listen address; a new address makes it punch every
// relayed-only peer at once, a lost direct link with nothing new here 2 s
// later (only the end whose relayed connection is inbound can start a
// DCUtR punch, and the address that changed may be the other end's,
// which re-observes meanwhile). Rounds are 30 s apart at least; after
// failed punches the gap doubles (to 15 min) while rounds find nothing
// new, so a symmetric NAT costs a handshake every 15 min.
//
// Dead direct links (deadlink.go): a direct QUIC connection whose path
// died silently (a gateway that lost its mapping or came back with a new
// address) stayed until QUIC's idle timeout (30 s, go-libp2p's quic-go
// setting), and every new stream to the peer went to it and hung,
// although a relayed connection to the peer worked. Once a second, for
// each peer with two connections or more, the host reads quic-go's
// packet counters of its direct QUIC connections (ConnectionStats). A
// connection is suspect only when it sent packets (more than one: a
// delayed ACK) since it last received any; every data, keep-alive or
// retransmitted packet asks for an ACK within the peer's ACK delay, so a
// working path answers within a round trip or a few retransmissions.
// Signals a busy link gives anyway come first: a link receiving a
// transfer, or being ACKed for one however full its windows are, is
// never suspect, and an idle one (nothing sent) costs nothing. A suspect
// link gets a libp2p ping (/ipfs/ping/1.0.0, header and 32 bytes in one
// packet) on that very connection after 1 s, then every 2 s; it is dead
// once nothing at all came back for 5 s (or three probe timeouts of its
// own RTT estimate, on a slow path) with 2 probes unanswered. With its
// first probe the peer's other connections are pinged too (until one
// answers), and the dead link is closed only when one of them answered
// since it fell silent: the way around is shown to work (with this
// node's own uplink down every path is silent, and nothing is closed).
// Streams then go through the relay, and the puncher re-observes and
// punches again (above). The only connection to a peer is never closed
// here (QUIC's idle timeout still ends it). A shorter QUIC idle timeout was
// not taken: go-libp2p v0.51 has no option for it (the accepting side's
// quic.Config is out of reach), it would end every QUIC connection after
// a short outage, the only one to a peer included, and put keep-alives
// (half the timeout) on every connection.
//
// Relay service (relaysvc.go): the host runs the circuit relay v2
// service itself instead of libp2p's manager, which starts it only when
// AutoNAT v1 says "public". AutoNAT v1 asks only peers that show a public
// address other than the node's own, so in the common workgroup (one
// member on a public address, the others behind home NATs) nobody ever
// judges the public member: it stayed "unknown", never relayed, and the
// home members never reached each other unless --reachability was given.
// relayWanted decides, in order: --reachability forces it; AutoNAT v1's
// verdict when it has one (private means dial-backs failed: firewalled);
// an IPv4 address of the node's own interfaces that is public or in the
// carrier-grade NAT range 100.64.0.0/10; an inbound direct connection
// from a public address in the last hour, from a peer with no other
// connection here (a server behind a 1:1 NAT; excluded: hole punches,
// which ride on a relayed connection, and peers this node dialled).
// Global IPv6 addresses do not count (most homes have them behind a
// firewall). AutoNAT v2 was not chosen: in go-libp2p v0.51 it reports
// per-address reachability (EvtHostReachableAddrsChanged), which neither
// the relay manager nor autorelay follow, and it asks only peers that
// run its server. A wrong "yes" costs little: the service is members
// only, and a member's autorelay keeps other candidates. At start (no
// --reachability) the host tells autorelay that reachability is unknown,
// which starts its search for relays at once: AutoNAT v1 is silent for
// its first 15 s, and home members took 17 to 23 s to reach each other
// instead of about 6.
//
// Gossip leaves a relayed link once a direct link to the same peer is up
// (gossipOffRelays: its streams on the relayed link are reset and
// gossipsub reopens them on the best connection, the direct one; at the
// hole punch and, for a stream opened during the switch, on the 20 s
// ping tick). Otherwise presence and roster gossip kept riding the relay
// member, and two members with a working direct link showed each other
// offline for half a minute once it went away.
//
// The relay ACL (relayACL) asks the gate's RelayGate: both ends of a
// circuit must be members of one workgroup; a gate without a RelayGate
// relays for no one. Circuits have no per-circuit cut (libp2p's default
// is 2 minutes and 128 KiB each way), since only members get one; the
// relay's own work is bounded instead: MaxRelayCircuits (32) circuits at
// once (the resource manager's limit on the relay service's outbound
// streams, one per circuit), RelayCircuitsPerPeer (8) per member, 64
// reservations, and RelayBuffer (64 KiB, not libp2p's 2 KiB: relayed bulk
// ran 2 to 3 times faster) per direction of a circuit.
//
// Links and RTT follow the connection in use (peers.go, rtt.go): a
// direct connection is "hole-punched" only when the hole punch service
// opened it (the connections a successful punch made, by the tracer's
// start and end events), so a later one dialled directly is "direct";
// a closed connection takes its label along. The RTT shown is the least
// of the last three pings over the link in use (pings every 20 s and on
// every new connection; a yamux ping frame over a yamux connection, the
// ping protocol over QUIC: rtt.go), dropped when the link changes
// (relayed to direct) or the last connection closes:
// libp2p's EWMA (a tenth per sample) kept 399 ms for minutes after an
// outage while the link was back at 4 ms.
//
// Metrics: hole punching reports libp2p_holepunch_* and the relay service
// libp2p_relaysvc_* (reservations, circuits opened and refused, their
// duration, bytes relayed) to Config.Metrics. NAT reports, for status,
// AutoNAT's verdict, whether this node relays and why, the relays it
// holds reservations on (autorelay's protected connections) and whether
// hole punching is ready (it needs a public address of this node).
// The resource manager's own push reporter is off (it took a mutex and
// formatted a timestamp on every scope event: 9.4% of a sharing node's
// CPU on small files); rcmgrmetrics.go exports the same
// libp2p_rcmgr_{connections,streams,memory,fds} gauges (system,
// transient, per protocol) and libp2p_rcmgr_peers, read from the scopes
// when /metrics is scraped. Limits are enforced as before; what is lost
// is libp2p_rcmgr_blocked_resources and the per-peer histograms.
//
// Host construction (build.go): the host is put together from
// go-libp2p's parts (peerstore, event bus, swarm, upgrader, TCP and QUIC
// transports, basic host with identify, the circuit v2 relay transport,
// autorelay, AutoNAT v1 with its service's own dialer swarm), as
// go-libp2p's config.NewNode does, but without go-libp2p's root and
// config packages: they link go.uber.org/fx and dig and the webrtc
// (pion), webtransport and websocket transports whatever options a host
// takes, none of which a node uses. 121 packages and 7.7 MB of binary
// fewer, 4-5 MB less idle RSS per node (docs/design/records/2026-11-30-s7-idlemem.md).
// Options that go-libp2p's defaults set and the node relies on are set
// here by hand: UDP and IPv6 black hole detectors (100 dials, 5
// successes), QUIC stateless reset and token keys derived from the node
// key (HKDF, as config.PrivKeyTo*Key), QUIC connections admitted by the
// resource manager, metrics tracers when a registry is given.
//
// Bulk speed (transport.go, tlsbatch.go; figures in
// docs/design/tunnel.md): NewUpgrader, shared with
// bench/rawstream -transport peerhood, sets yamux frames of YamuxMessage
// (256 KiB, go-yamux's default is 64 KiB) and wrap libp2p's TLS in
// batchTLS: the same protocol and bytes on the wire, but the records of
// one Write (a yamux frame: 16 records) leave in one write syscall
// instead of one each, and a connection in bulk mode reads up to 256 KiB
// per read syscall (the buffer is taken only once the socket is
// readable: an idle connection holds none). Stock libp2p peers interop
// (TestBatchTLSInterop).
// Stream windows are go-libp2p's (256 KiB initial, up to 16 MiB as a
// read stream's window updates come quickly): a larger initial window
// would be granted without being reserved (transport.go).
//
// Small frames (a chat push, ~300 bytes, each alone on its stream;
// BenchmarkSmallFrames, docs/notes-s10-wire.md): ~15 us of CPU per frame
// at both ends on loopback, three quarters of it the write and read
// syscalls and the goroutine wake-ups they bring; batchTLS passes a
// small write straight through (one record, one syscall). Noise costs
// ~1.5 us less per small frame but ~30% more per GiB in bulk
// (ChaCha20-Poly1305 against AES-GCM): TLS stays first.
//
// UsableAddrs (scope.go) judges a member's announced addresses (presence
// heartbeats, identify records, DHT answers) by the link to it, or by
// this node's own addresses: another machine's loopback and networks
// this node is not on are not used (their dials fail or reach this node
// itself). NoRoute words a failed dial: "no route to P (tried N direct
// addresses and M relays)", wrapping ErrNoRoute.
//
// Probe (probe.go) tells whether a peer answers (dial and ping), for
// presence.
package p2p
