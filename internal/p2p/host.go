package p2p

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/prometheus/client_golang/prometheus"
)

// DefaultPort is the TCP and UDP port a node listens on by default.
const DefaultPort = 4317

// DefaultListenAddrs are the listen addresses of a node started with its
// embedded defaults: TCP and QUIC on IPv4 and IPv6.
func DefaultListenAddrs(port int) []string {
	return []string{
		fmt.Sprintf("/ip4/0.0.0.0/tcp/%d", port),
		fmt.Sprintf("/ip4/0.0.0.0/udp/%d/quic-v1", port),
		fmt.Sprintf("/ip6/::/tcp/%d", port),
		fmt.Sprintf("/ip6/::/udp/%d/quic-v1", port),
	}
}

// Config configures a host.
type Config struct {
	Key         crypto.PrivKey
	ListenAddrs []string
	// Metrics, when set, receives libp2p's Prometheus metrics.
	Metrics prometheus.Registerer
	// Log receives the host's logs.
	Log *slog.Logger
	// Reachability overrides AutoNAT: ReachAuto (empty), ReachPublic or
	// ReachPrivate. AutoNAT only trusts public IP addresses, so nodes on
	// private networks that are reachable (a LAN server, a test network)
	// say so here to act as relays.
	Reachability string
	// linkParams, when set (tests), replaces the dead-link watcher's
	// thresholds (deadlink.go).
	linkParams *linkParams
}

// ErrAddrInUse reports a listen address whose port another program holds.
var ErrAddrInUse = errors.New("address already in use")

// Host is the node's libp2p host.
type Host struct {
	host.Host
	cm    *connmgr.BasicConnMgr
	gater *gater
	ping  *ping.PingService
	hp    *holePunched
	rtt   rtts
	// punch runs DCUtR hole punching (punch.go); punchDone closes when
	// its loop has ended.
	punch     *puncher
	punchDone chan struct{}
	// relaySvc runs the relay service while this node is likely
	// reachable (relaysvc.go); relayDone closes when it has stopped.
	relaySvc  *relayService
	relayDone chan struct{}
	// linksDone closes when the dead-link watcher has stopped
	// (deadlink.go); deadLinks counts the links it closed, keptLinks
	// those it found silent but kept (the only connection to their peer,
	// or none of the peer's other connections answered either).
	linksDone            chan struct{}
	deadLinks, keptLinks atomic.Int64
	// relaySrc feeds autorelay with relay candidates (members).
	relaySrc atomic.Pointer[RelaySource]
	psMu     sync.Mutex
	ps       *pubsub.PubSub
	chatPS   *pubsub.PubSub // chatpubsub.go
	// gossipW and chatGossipW follow the writers of the host's and the
	// chat router (gossipannounce.go).
	gossipW, chatGossipW *gossipWriters
	// gossipTracer counts the chat router's messages (gossipmetrics.go).
	gossipTracer *gossipCounter
	// testTracer, when set before PubSub or ChatPubSub (tests only),
	// traces the router then started (its mesh: TestChatGossipLine).
	testTracer pubsub.RawTracer
	log        *slog.Logger
	ctx        context.Context // ends on Close: background work (ping loop, gossipsub) stops with it
	stop       context.CancelFunc
	done       chan struct{}
}

// New starts a host listening on cfg.ListenAddrs. Every address that is
// in use is an error; addresses of an IP family the machine lacks are
// skipped with a warning, as long as one address listens.
func New(cfg Config) (*Host, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	addrs, err := parseListenAddrs(cfg.ListenAddrs)
	if err != nil {
		return nil, err
	}
	base, err := newResourceManager()
	if err != nil {
		return nil, err
	}
	rm := guardNegotiation(base) // negotiating.go
	cm, err := newConnManager()
	if err != nil {
		return nil, err
	}
	g := &gater{}
	hh := &Host{cm: cm, gater: g, hp: newHolePunched(cfg.Log), log: cfg.Log, done: make(chan struct{})}
	hh.gossipW, hh.chatGossipW = newGossipWriters(g.allowTopic), newGossipWriters(g.allowTopic)
	parts := hostParts{key: cfg.Key, rm: rm, cm: cm, gater: g, ranker: tcpFirstRanker}
	if err := natParts(&parts, cfg, &hh.relaySrc); err != nil {
		return nil, err
	}
	if cfg.Metrics != nil {
		parts.reg = withoutRcmgr{cfg.Metrics}
		if st, ok := base.(rcmgr.ResourceManagerState); ok {
			if err := cfg.Metrics.Register(rcmgrCollector{st}); err != nil {
				cfg.Log.Warn("resource manager metrics not exported", "err", err)
			}
		}
		if err := cfg.Metrics.Register(negotiationCollector{rm}); err != nil {
			cfg.Log.Warn("negotiation guard metrics not exported", "err", err)
		}
	}
	h, err := buildHost(parts)
	if err != nil {
		return nil, fmt.Errorf("start libp2p host: %w", err)
	}
	if err := rm.watch(h.Network()); err != nil {
		h.Close()
		return nil, err
	}
	if err := listenAll(h, addrs, cfg); err != nil {
		h.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	hh.Host, hh.ping, hh.ctx, hh.stop = h, ping.NewPingService(h), ctx, cancel
	hh.gossipTracer = newGossipCounter(cfg.Metrics)
	nw := h.Network()
	hh.hp.net.Store(&nw)
	if hh.punch, err = newPuncher(h, hh.hp, cfg.Metrics); err != nil {
		cancel()
		h.Close()
		return nil, err
	}
	hh.punchDone = make(chan struct{})
	go func() {
		defer close(hh.punchDone)
		hh.punch.run(ctx, func(msg string, args ...any) { cfg.Log.Debug(msg, args...) })
	}()
	hh.startBackground(ctx, cfg, g)
	return hh, nil
}

// startBackground starts the host's background work (ping loop, relay
// service) and follows new connections: their RTT, evidence
// of reachability, links upgraded from relayed to direct.
func (hh *Host) startBackground(ctx context.Context, cfg Config, g *gater) {
	go hh.pingLoop(ctx)
	hh.linksDone = make(chan struct{})
	go func() {
		defer close(hh.linksDone)
		lp := defaultLinkParams
		if cfg.linkParams != nil {
			lp = *cfg.linkParams
		}
		hh.watchLinks(ctx, lp)
	}()
	hh.relaySvc = &relayService{h: hh.Host, opts: relayOptions(g, cfg.Metrics), force: cfg.Reachability, log: cfg.Log, kick: make(chan struct{}, 1)}
	hh.relayDone = make(chan struct{})
	go func() {
		defer close(hh.relayDone)
		hh.relaySvc.run(ctx)
	}()
	hh.Network().Notify(&network.NotifyBundle{ConnectedF: func(_ network.Network, c network.Conn) {
		// Every new connection is measured (the link in use may have
		// changed: its RTT starts afresh).
		go hh.measure(ctx, c.RemotePeer())
		hh.relaySvc.reachedFrom(c, len(hh.Network().ConnsToPeer(c.RemotePeer()))-1)
		// A direct connection that joins a relayed one to the same peer
		// (a hole punch, or a dial that found a direct route): gossip
		// moves onto it. It is labelled hole-punched only when the hole
		// punch service says it opened it (holePunched).
		if LinkOf(c.RemoteMultiaddr()) == LinkDirect {
			for _, o := range hh.Network().ConnsToPeer(c.RemotePeer()) {
				if o != c && LinkOf(o.RemoteMultiaddr()) == LinkRelayed {
					go hh.gossipOffRelays(c.RemotePeer())
					break
				}
			}
		}
	}, DisconnectedF: func(_ network.Network, c network.Conn) {
		hh.hp.closed(c)
		hh.connClosed(c.RemotePeer())
	}})
}

// listenAll listens on addrs: an address in use is an error, one of an
// IP family the machine lacks is skipped, as long as one address listens.
func listenAll(h host.Host, addrs []ma.Multiaddr, cfg Config) error {
	var listened int
	for _, a := range addrs {
		err := checkPortFree(a)
		if err == nil {
			err = h.Network().Listen(a)
		}
		if err != nil {
			if isAddrInUse(err) {
				return fmt.Errorf("listen on %s: %w (is another peerhood or program using this port? choose one with --listen)", a, ErrAddrInUse)
			}
			if isFamilyMissing(err) {
				cfg.Log.Info("address or IP family not available on this machine; skipping", "addr", a.String())
			} else {
				cfg.Log.Warn("cannot listen; skipping", "addr", a.String(), "err", err)
			}
			continue
		}
		listened++
	}
	if listened == 0 && len(addrs) > 0 {
		return fmt.Errorf("could not listen on any of %v", cfg.ListenAddrs)
	}
	return nil
}

// isFamilyMissing reports an address of an IP family or address this
// machine does not have (no IPv6, or an IP not assigned here).
func isFamilyMissing(err error) bool {
	return errors.Is(err, syscall.EAFNOSUPPORT) || errors.Is(err, syscall.EADDRNOTAVAIL) ||
		strings.Contains(err.Error(), "address family not supported") ||
		strings.Contains(err.Error(), "cannot assign requested address")
}

func isAddrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "address already in use") ||
		strings.Contains(err.Error(), "Only one usage of each socket address")
}

// SetGate installs the gate that decides which peers may connect. Peers
// already connected that the gate refuses are disconnected.
func (h *Host) SetGate(g Gate) {
	h.gater.gate.Store(&g)
	h.Enforce()
}

// Enforce closes connections to peers the gate no longer allows (for
// example a member that was just revoked).
func (h *Host) Enforce() {
	for _, c := range h.Network().Conns() {
		if !h.gater.allow(c.RemotePeer(), c.Stat().Direction == network.DirInbound) {
			h.log.Info("disconnecting peer refused by gate", "peer", c.RemotePeer())
			_ = c.Close()
		}
	}
}

// Protect keeps the connection manager from trimming connections to p.
func (h *Host) Protect(p peer.ID, tag string) { h.cm.Protect(p, tag) }

// Unprotect undoes Protect.
func (h *Host) Unprotect(p peer.ID, tag string) { h.cm.Unprotect(p, tag) }

// Handle registers a stream handler for a peerhood protocol.
func (h *Host) Handle(id protocol.ID, fn network.StreamHandler) { h.SetStreamHandler(id, fn) }

// Close stops the host.
func (h *Host) Close() error {
	h.stop()
	<-h.done
	_ = h.punch.close() // ends hole punches under way
	<-h.punchDone
	<-h.relayDone
	<-h.linksDone
	return h.Host.Close()
}

// ParsePeerAddr parses a multiaddr that ends in /p2p/PEERID.
func ParsePeerAddr(addr string) (*peer.AddrInfo, error) {
	a, err := ma.NewMultiaddr(addr)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", addr, err)
	}
	info, err := peer.AddrInfoFromP2pAddr(a)
	if err != nil {
		return nil, fmt.Errorf("address %q must end in /p2p/PEERID: %w", addr, err)
	}
	return info, nil
}

// Connect dials a peer by a multiaddr that ends in /p2p/PEERID, directly
// and past any dial backoff.
func (h *Host) Connect(ctx context.Context, addr string) (peer.ID, error) {
	info, err := ParsePeerAddr(addr)
	if err != nil {
		return "", err
	}
	if info.ID == h.ID() {
		return "", fmt.Errorf("address %q is this node itself", addr)
	}
	// Asked for by a user (or a test) at an address they name: dial it
	// even if an earlier dial to that address failed and is backing off
	// (the node there may have just started).
	dctx := network.WithForceDirectDial(ctx, "connect to a given address")
	if err := h.Host.Connect(dctx, *info); err != nil {
		return "", fmt.Errorf("connect to %s: %w", info.ID, err)
	}
	h.measure(ctx, info.ID)
	return info.ID, nil
}

// pingLoop keeps round-trip times of connected peers fresh.
func (h *Host) pingLoop(ctx context.Context) {
	defer close(h.done)
	t := time.NewTicker(20 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// A gossip stream opened on a relayed link while the direct
			// one came up is moved too.
			for _, p := range h.Network().Peers() {
				if h.hasDirectAndRelayed(p) {
					h.gossipOffRelays(p)
				}
			}
			// Subscriptions a peer may have lost (gossipannounce.go).
			h.reannounceAll()
			// A few at a time: one peer that does not answer must not
			// hold up the others for its 5 s.
			var wg sync.WaitGroup
			sem := make(chan struct{}, 16)
			for _, p := range h.Network().Peers() {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					h.measure(ctx, p)
				}()
			}
			wg.Wait()
		}
	}
}
