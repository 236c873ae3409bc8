// Package tunnel owns shared TCP services: the services this node offers
// to one workgroup (a name, a fixed host:port target, an access list,
// kept in SQLite, table family "tunnel"), the /peerhood/tunnel/1
// protocol that carries one TCP connection per stream, and forwards:
// listeners on this node's loopback whose connections go to a member's
// service.
//
// # Services and access lists
//
// `peerhood service add NAME HOST:PORT [--allow WHO=use|none]...`. The
// target is only what the owner declared: a member names a service,
// never an address, so the node is no open proxy. A target off this
// machine's loopback (anything but localhost, 127.0.0.0/8, ::1) needs
// --allow-remote-target and is shown with "(remote)". --kind tcp is
// carried as plain TCP. --kind http goes through a reverse proxy on
// the offering node (http.go): every request reaches the target with
// Peerhood-Member (the member's name) and Peerhood-Workgroup (the
// workgroup's ID), after any Peerhood-* header the client sent was
// removed (in any case, and Peerhood_*: CGI and WSGI read '_' as '-'),
// so a web app can tell who calls; keep-alive and upgrades
// (WebSocket) work, one tunnel per client connection. --kind printer
// (printer.go) is IPP, which is HTTP: it goes through the same proxy,
// which also sets Host to the declared target (CUPS answers 400 to a
// Host it does not know, such as 127.0.0.1:PORT of another machine's
// name or the DNS-SD name peerhood-loopback.local). UDP is out of scope:
// nothing carries datagrams (DNS, game servers, SIP media, mDNS).
//
// # Printers
//
// `peerhood printer share NAME [--ipp URL]` adds a service of kind
// printer whose target is the URL's host:port (default
// ipp://localhost:631/printers/NAME, the CUPS queue) and whose path
// (ServiceInfo.Path, column tunnel_services.path) is the URL's; ipps is
// refused (the member's client would check the printer's certificate
// against 127.0.0.1; the tunnel itself is encrypted). `peerhood printer
// add MEMBER:NAME` probes the service (it must be a printer), makes a
// persisted forward, and makes it visible to this machine's print
// dialogs two ways: (1) a DNS-SD advertisement on the loopback only
// (package dnssd; _ipp._tcp, subtype _print, instance "NAME on MEMBER
// (peerhood)", host peerhood-loopback.local = 127.0.0.1, TXT txtvers,
// qtotal, rp, ty, adminurl, note, product, pdl, URF, printer-type, kind,
// UUID; no TLS key: IPP without TLS), which needs multicast on the
// loopback (Linux: ip link set lo multicast on; see dnssd's doc.go for why
// zeroconf is not used); (2) where lpadmin exists, a driverless CUPS
// queue MEMBER-NAME (lpadmin -p Q -E -v ipp://127.0.0.1:PORT/PATH -m
// everywhere; CUPS then asks the printer for its attributes through the
// forward). pdl and URF in the TXT record are defaults for a driverless
// client's first guess; CUPS reads the printer's real attributes. Each
// part that cannot be made is kept as a note (`printer ls`). The printer
// is kept in tunnel_printers and advertised again at start (the CUPS
// queue stays in CUPS). `printer rm MEMBER:NAME` removes the queue, the
// advertisement and the forward; `printer rm NAME` stops sharing one of
// this node's printers. A forward to an http service is advertised the
// same way as _http._tcp (TXT path=/).
//
// Access lists are share's (the same Rule type, the same WHO syntax and
// the same matcher, share.RightOf: the member's name wins, then its
// groups, then *), with the right use or none; use is matched as share's
// ro. As for shares, a name rule is bound to the peer ID holding the
// name when the rule is stored (share.BindRules), so a member with a name
// conflict, or one who later takes a freed name, inherits nothing. The
// names are checked as share's are (share.CheckRuleNames): `service
// add|set` and `printer share` refuse a rule naming no member of the
// workgroup (400 not_member) unless --force, which keeps it and returns a
// warning (Config.Warnings, in that reply only). The
// default is the safe one: a service added without --allow may
// be used by nobody (the owner reaches its own target directly), and
// `service ls` shows "nobody" until a rule is added. A list changed by
// `service set` applies to the tunnels already open too: those of a
// member the new list refuses are closed at once (cut.go), and removing
// a service (`service rm`, `printer rm NAME`) closes all of its tunnels.
// A revoked member's connections are closed by the workgroup service,
// which ends its open tunnels with them.
//
// # Checks on the offering node
//
// Every stream passes workgroup.Guard (the peer holds a valid, unrevoked
// certificate of a workgroup this node is in). Then, for the service
// named: the request's workgroup must be the service's and the peer a
// member of it (else not_found, exactly as for a service that does not
// exist), and the access list must let that member use it (else
// forbidden, naming the service and the member). Only then is the
// target dialled (DialTimeout, 5 s): a target that does not answer gives
// target_down, naming the target and the node. A member has at most
// DefaultMaxPerMember (200) tunnels open into this node (busy beyond); the
// host's resource manager allows p2p.TunnelStreamsPerPeer (224) tunnel
// streams per peer each way (libp2p's default, 64, was raised for this).
//
// # Wire format of /peerhood/tunnel/1
//
// One TCP connection per stream. Frames are wire frames (uvarint length +
// deterministic CBOR; a request at most 4 KiB, a reply 256 KiB); then
// raw bytes.
//
//	U->O Request{1: Service (name), 2: Workgroup (ID), 3: Probe (bool), 4: List (bool)}
//	O->U Reply{1: OK (true), 3: Services (List only)} | Reply{2: Err wire.Error{1: Code, 2: Message}}
//	after OK (not Probe, not List): raw bytes both ways until each side half-closes
//	ServiceInfo{1: Name, 2: Kind, 3: Workgroup, 4: Right ("use"), 5: Path (printers)}
//
// Booleans are omitted when false. A request names a service or asks
// List (not both); List answers with the services of Workgroup the
// caller may use (at most 1024; a reply frame is at most 256 KiB), so a
// member sees only what it can use, as with shares (`peerhood service ls
// MEMBER`; ServicesOf is the hook for browse). Exactly one of OK and Err
// is set (DecodeReply refuses anything else).
// Codes: bad_request, not_found, forbidden, target_down, busy. With Probe
// the offering node checks access, dials the target, closes that
// connection at once and replies (OK with Services holding that one
// service, so the user's side learns its kind and path); no bytes follow.
// A forward's connection sends its first raw bytes right after the
// request, without waiting for the reply (early.go: one round trip saved
// per connection), and reads the reply before the first raw byte. The
// offering node reads raw bytes only after every check passed and the
// target answered, so its target never sees data from a refused member;
// on a refusal it writes the reply, half-closes, and drains the early
// bytes (at most 1 MiB, 10 s) before closing, since closing a yamux
// stream with data still coming resets it and can destroy the reply.
//
// # Carrying bytes
//
// pipe copies both directions; each starts with a 16 KiB buffer and
// takes a 256 KiB one the first time a read fills the small one (pooled
// both). An idle or interactive tunnel (ssh, a printer waiting, 200
// open connections) holds 32 KiB; a bulk transfer gets larger reads and
// writes, fewer yamux frames and syscalls per byte (in-process
// BenchmarkThroughput, forward / bare stream: 128 KiB 0.54-0.60x,
// 256 KiB 0.52-0.63x, 512 KiB 0.68-0.70x, 1 MiB 0.65x, on the 2-core
// machine at load 10: noisy; 256 KiB bounds a bulk tunnel's memory at
// 512 KiB). A direction that
// reads EOF half-closes its destination (CloseWrite on the TCP
// connection or the stream), so a client that sends a request and then
// EOF still reads the answer, both ways. A direction that fails (a reset
// stream, a refused write) aborts both ends at once (stream reset, TCP
// close with linger 0): a member that vanishes leaves no goroutine or
// socket behind. Backpressure is the stream's flow control (yamux
// windows, QUIC's) and TCP's; nothing is buffered beyond one buffer per
// direction.
//
// Close waits for all its work (docs/architecture.md): every tunnel and
// forward goroutine, and each /peerhood/tunnel/1 handler from its first
// byte (track: a stream that arrives once Close began is reset unread),
// are counted in wg; Close resets their streams, closes their
// connections, ends a target dial in progress and waits, so no request
// is read, looked up or answered once Close returned
// (TestNoRequestServedAfterClose).
//
// On a limited circuit-relay-v2 link (a member reached through a relay
// before hole punching succeeds) the relay caps each relayed connection
// (by default 2 minutes and 128 KiB); libp2p opens the tunnel stream
// only over a limited connection when the caller allows it, which
// Dial does not: a forward over a relay waits for a direct (hole-punched)
// connection or fails with "not reachable now".
//
// Options.IdleTimeout (the daemon reads PEERHOOD_TUNNEL_IDLE, a Go
// duration; unset: none) ends a tunnel that carried no byte either way
// for that long: each read waits at most the timeout, and a read that
// times out ends the tunnel (ErrIdle, both ends aborted) only if the
// other direction was idle too. Either side's setting applies.
//
// # Forwards (the using side)
//
// `peerhood forward MEMBER:SERVICE [LOCAL_ADDR]` asks the node (POST
// /v1/forwards) to probe the service, then listen on LOCAL_ADDR, which
// must be a loopback address (127.0.0.1:0 by default: a free port,
// returned). Each accepted connection opens its own stream; a refusal or
// an unreachable member closes that connection (RST) and is kept as the
// forward's last_error for `forward ls`. --persist stores the forward
// (table tunnel_forwards, by its actual local address, so a free port
// chosen once is kept); Start listens again on each at boot, and one
// that cannot listen is listed as not listening with its error.
// `forward rm` takes a local address or MEMBER:SERVICE and closes the
// forward's open connections. Stored state changes before the running
// one: `forward rm` and `printer rm` delete the stored rows first (a
// printer's and its forward's in one transaction) and stop the forward
// only then, so a refused delete (a full disk) leaves it running, listed
// and removable again; `printer add` stores the forward and the printer
// in one transaction and, when that fails, stops the forward and removes
// the CUPS queue it just made.
//
// # Counters
//
// Each service and forward counts open, total and refused connections and
// bytes each way since the node started (`service ls`, `forward ls`),
// and the same counters are on the control API's /metrics (metrics.go):
// peerhood_tunnel_service_{connections_open,connections_total,
// refused_total,bytes_total{direction}} by service, and
// peerhood_tunnel_forward_{connections_open,connections_total,
// failed_total,bytes_total{direction}} by local address and
// MEMBER:SERVICE. Browse lists each member's services with this node's
// right through ServicesOf (discovery's servicelists.go).
//
// # Control API
//
// routes.go declares GET/POST /v1/services, PUT /v1/services/{name}/access,
// DELETE /v1/services/{name}, GET/POST /v1/forwards, DELETE
// /v1/forwards?what=LOCAL|MEMBER:SERVICE, GET/POST /v1/printers, POST
// /v1/printers/shared and DELETE /v1/printers?what=MEMBER:NAME|NAME.
package tunnel
