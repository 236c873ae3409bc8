package p2p

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"

	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/core/sec"
	"github.com/libp2p/go-libp2p/core/transport"
	"github.com/libp2p/go-libp2p/p2p/host/autonat"
	"github.com/libp2p/go-libp2p/p2p/host/autorelay"
	bhost "github.com/libp2p/go-libp2p/p2p/host/basic"
	"github.com/libp2p/go-libp2p/p2p/host/eventbus"
	"github.com/libp2p/go-libp2p/p2p/host/observedaddrs"
	"github.com/libp2p/go-libp2p/p2p/host/peerstore/pstoremem"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	tptu "github.com/libp2p/go-libp2p/p2p/net/upgrader"
	circuit "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/client"
	noise "github.com/libp2p/go-libp2p/p2p/security/noise"
	libp2ptls "github.com/libp2p/go-libp2p/p2p/security/tls"
	libp2pquic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/quicreuse"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/quic-go/quic-go"
	"golang.org/x/crypto/hkdf"
)

// The node's libp2p host is put together here from go-libp2p's parts
// (swarm, upgrader, transports, basic host, AutoNAT, autorelay), as
// go-libp2p's config.NewNode does, without go-libp2p's root and config
// packages: those link go.uber.org/fx and dig (reflection over every
// constructor) and the webrtc, webtransport and websocket transports
// (pion, ~100 packages) whatever options a host takes, which the node
// never uses. docs/design/records/2026-11-30-s7-idlemem.md has the figures.

// hostParts are what buildHost needs besides the key.
type hostParts struct {
	key     crypto.PrivKey
	rm      network.ResourceManager
	cm      connmgr.ConnManager
	gater   connmgr.ConnectionGater
	ranker  network.DialRanker
	reg     prometheus.Registerer // nil: no metrics
	relay   bool                  // the circuit v2 relay transport, autorelay and AutoNAT
	arOpts  []autorelay.Option
	reach   *network.Reachability // forced AutoNAT reachability, nil for automatic
	autonat bool                  // run the AutoNAT service (with a dialer of its own)
}

// builtHost is a basic host and what was started around it; Close
// stops them in the order go-libp2p's fx application did.
type builtHost struct {
	*bhost.BasicHost
	stops []func() error // run last first, before BasicHost.Close
	once  sync.Once
}

// Close stops the host; later calls do nothing.
func (h *builtHost) Close() error {
	h.once.Do(func() {
		_ = closeAll(h.stops)
		if h.BasicHost != nil {
			_ = h.BasicHost.Close()
		}
	})
	return nil
}

// buildHost builds and starts a host that listens nowhere yet.
func buildHost(p hostParts) (_ *builtHost, err error) {
	b := &builtHost{}
	fail := func(err error) (*builtHost, error) {
		_ = b.Close()
		return nil, err
	}
	ps, err := pstoremem.NewPeerstore()
	if err != nil {
		return nil, fmt.Errorf("peerstore: %w", err)
	}
	var busOpts []eventbus.Option
	if p.reg != nil {
		busOpts = append(busOpts, eventbus.WithMetricsTracer(eventbus.NewMetricsTracer(eventbus.WithRegisterer(p.reg))))
	}
	bus := eventbus.NewBus(busOpts...)
	sw, err := newSwarm(p, ps, bus, p.ranker,
		swarm.WithUDPBlackHoleSuccessCounter(&swarm.BlackHoleSuccessCounter{N: 100, MinSuccesses: 5, Name: "UDP"}),
		swarm.WithIPv6BlackHoleSuccessCounter(&swarm.BlackHoleSuccessCounter{N: 100, MinSuccesses: 5, Name: "IPv6"}))
	if err != nil {
		ps.Close()
		return nil, err
	}
	up, qcm, err := addTransports(sw, p)
	if qcm != nil {
		b.stops = append(b.stops, qcm.Close) // closes after the swarm
	}
	b.stops = append(b.stops, sw.Close)
	if err != nil {
		return nil, errors.Join(err, closeAll(b.stops), ps.Close())
	}
	obs, err := observedaddrs.NewManager(bus, sw)
	if err != nil {
		return nil, errors.Join(err, closeAll(b.stops), ps.Close())
	}
	obs.Start(sw)
	b.stops = append(b.stops, obs.Close)
	hopts := &bhost.HostOpts{EventBus: bus, ConnManager: p.cm, EnableMetrics: p.reg != nil, PrometheusRegisterer: p.reg, ObservedAddrsManager: obs}
	if b.BasicHost, err = bhost.NewHost(sw, hopts); err != nil {
		return nil, errors.Join(fmt.Errorf("basic host: %w", err), closeAll(b.stops), ps.Close())
	}
	if p.relay {
		if err := circuit.AddTransport(b.BasicHost, up); err != nil {
			return fail(fmt.Errorf("relay transport: %w", err))
		}
		opts := p.arOpts
		if p.reg != nil {
			opts = append([]autorelay.Option{autorelay.WithMetricsTracer(autorelay.NewMetricsTracer(autorelay.WithRegisterer(p.reg)))}, opts...)
		}
		ar, err := autorelay.NewAutoRelay(b.BasicHost, opts...)
		if err != nil {
			return fail(fmt.Errorf("autorelay: %w", err))
		}
		ar.Start()
		b.stops = append(b.stops, ar.Close)
	}
	b.BasicHost.Start()
	if err := addAutoNAT(b.BasicHost, p); err != nil {
		return fail(err)
	}
	return b, nil
}

func closeAll(fs []func() error) error {
	var errs []error
	for i := len(fs) - 1; i >= 0; i-- {
		errs = append(errs, fs[i]())
	}
	return errors.Join(errs...)
}

// newSwarm makes a swarm for p.key over ps (which it owns from now).
func newSwarm(p hostParts, ps peerstore.Peerstore, bus event.Bus, ranker network.DialRanker, extra ...swarm.Option) (*swarm.Swarm, error) {
	pid, err := peer.IDFromPrivateKey(p.key)
	if err != nil {
		return nil, fmt.Errorf("peer id: %w", err)
	}
	if err := ps.AddPrivKey(pid, p.key); err != nil {
		return nil, fmt.Errorf("peerstore: %w", err)
	}
	if err := ps.AddPubKey(pid, p.key.GetPublic()); err != nil {
		return nil, fmt.Errorf("peerstore: %w", err)
	}
	opts := append(extra, swarm.WithConnectionGater(p.gater), swarm.WithResourceManager(p.rm), swarm.WithDialRanker(ranker))
	if p.reg != nil {
		opts = append(opts, swarm.WithMetricsTracer(swarm.NewMetricsTracer(swarm.WithRegisterer(p.reg))))
	}
	sw, err := swarm.NewSwarm(pid, ps, bus, opts...)
	if err != nil {
		return nil, fmt.Errorf("swarm: %w", err)
	}
	return sw, nil
}

// addTransports adds the node's transports to sw: TCP (preferred, see
// tcpFirstRanker: bulk over QUIC costs ~3x the CPU here) and QUIC, with
// TLS (batchTLS: fewer syscalls, libp2p's protocol) then Noise, and
// yamux. TCP dials leave from an ephemeral port, not the listen port:
// with SO_REUSEPORT two members that dial each other at once (both
// found the other by mDNS or in the DHT) made one TCP connection by
// simultaneous open that both ends took for their own dial, and its
// security handshake hung until it timed out (measured: most dials of a
// 50-member mesh failed so). Hole punching still works over QUIC, whose
// dials share the listening UDP socket. The QUIC connection manager it
// returns (even with an error) must be closed after sw.
func addTransports(sw *swarm.Swarm, p hostParts) (transport.Upgrader, *quicreuse.ConnManager, error) {
	up, err := NewUpgrader(p.key, p.rm, p.gater)
	if err != nil {
		return nil, nil, err
	}
	tcpT, err := tcp.NewTCPTransport(up, p.rm, nil, tcp.DisableReuseport())
	if err != nil {
		return nil, nil, fmt.Errorf("tcp transport: %w", err)
	}
	qcm, err := newQUICConnManager(p.key, p.rm, p.reg)
	if err != nil {
		return nil, nil, err
	}
	quicT, err := libp2pquic.NewTransport(p.key, qcm, nil, p.gater, p.rm)
	if err != nil {
		return nil, qcm, fmt.Errorf("quic transport: %w", err)
	}
	for _, t := range []transport.Transport{tcpT, quicT} {
		if err := sw.AddTransport(t); err != nil {
			return nil, qcm, fmt.Errorf("add transport: %w", err)
		}
	}
	return up, qcm, nil
}

// NewUpgrader returns the upgrader of a node's TCP connections: TLS
// (batchTLS) preferred, then Noise, and yamux with YamuxMessage frames.
// bench/rawstream -transport peerhood uses it to measure the bare stream
// a tunnel or a transfer rides on.
func NewUpgrader(key crypto.PrivKey, rm network.ResourceManager, gater connmgr.ConnectionGater) (transport.Upgrader, error) {
	muxers := []tptu.StreamMuxer{{ID: yamux.ID, Muxer: yamuxTransport()}}
	tlsT, err := newBatchTLS(libp2ptls.ID, key, muxers)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	noiseT, err := noise.New(noise.ID, key, muxers)
	if err != nil {
		return nil, fmt.Errorf("noise: %w", err)
	}
	up, err := tptu.New([]sec.SecureTransport{tlsT, noiseT}, muxers, nil, rm, gater)
	if err != nil {
		return nil, fmt.Errorf("upgrader: %w", err)
	}
	return up, nil
}

// newQUICConnManager is go-libp2p's QUIC connection manager as its
// config package makes it: stateless reset and token keys derived from
// the node's key, and each incoming connection checked with rm.
func newQUICConnManager(key crypto.PrivKey, rm network.ResourceManager, reg prometheus.Registerer) (*quicreuse.ConnManager, error) {
	reset, err := deriveKey[quic.StatelessResetKey](key, "libp2p quic stateless reset key")
	if err != nil {
		return nil, err
	}
	token, err := deriveKey[quic.TokenGeneratorKey](key, "libp2p quic token generator key")
	if err != nil {
		return nil, err
	}
	opts := []quicreuse.Option{
		quicreuse.ConnContext(func(ctx context.Context, ci *quic.ClientInfo) (context.Context, error) {
			addr, err := quicreuse.ToQuicMultiaddr(ci.RemoteAddr, quic.Version1)
			if err != nil {
				addr = nil // the resource manager decides without it
			}
			scope, err := rm.OpenConnection(network.DirInbound, false, addr)
			if err != nil {
				return ctx, err
			}
			ctx = network.WithConnManagementScope(ctx, scope)
			context.AfterFunc(ctx, scope.Done)
			return ctx, nil
		}),
		quicreuse.VerifySourceAddress(func(a net.Addr) bool { return rm.VerifySourceAddress(a) }),
	}
	if reg != nil {
		opts = append(opts, quicreuse.EnableMetrics(reg))
	}
	cm, err := quicreuse.NewConnManager(reset, token, opts...)
	if err != nil {
		return nil, fmt.Errorf("quic connection manager: %w", err)
	}
	return cm, nil
}

// deriveKey derives a QUIC key from the node's key (HKDF-SHA256 with
// info), as go-libp2p's config.PrivKeyTo*Key do.
func deriveKey[K quic.StatelessResetKey | quic.TokenGeneratorKey](key crypto.PrivKey, info string) (K, error) {
	var k K
	raw, err := key.Raw()
	if err != nil {
		return k, fmt.Errorf("derive %s: %w", info, err)
	}
	if _, err := io.ReadFull(hkdf.New(sha256.New, raw, nil, []byte(info)), k[:]); err != nil {
		return k, fmt.Errorf("derive %s: %w", info, err)
	}
	return k, nil
}

// addAutoNAT starts AutoNAT (v1) on h: it asks peers to dial its public
// addresses and, with p.autonat, answers such requests with a swarm of
// its own (another key, no listener) so the dial-back is not this node.
func addAutoNAT(h *bhost.BasicHost, p hostParts) error {
	opts := []autonat.Option{autonat.UsingAddresses(func() []ma.Multiaddr {
		return slices.DeleteFunc(h.AllAddrs(), func(a ma.Multiaddr) bool { return !manet.IsPublicAddr(a) })
	})}
	if p.reg != nil {
		opts = append(opts, autonat.WithMetricsTracer(autonat.NewMetricsTracer(autonat.WithRegisterer(p.reg))))
	}
	if p.autonat {
		dialer, err := newAutoNATDialer(p)
		if err != nil {
			return err
		}
		opts = append(opts, autonat.EnableService(dialer))
	}
	if p.reach != nil {
		opts = append(opts, autonat.WithReachability(*p.reach))
	}
	an, err := autonat.New(h, opts...)
	if err != nil {
		return fmt.Errorf("autonat: %w", err)
	}
	h.SetAutoNat(an)
	return nil
}

// newAutoNATDialer is the AutoNAT service's dialer: a swarm with a
// fresh key and the node's transports, no dial delay, and no black hole
// detection. Its QUIC manager and peerstore close when it does (AutoNAT
// closes it).
func newAutoNATDialer(p hostParts) (*swarm.Swarm, error) {
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("autonat key: %w", err)
	}
	ps, err := pstoremem.NewPeerstore()
	if err != nil {
		return nil, fmt.Errorf("autonat peerstore: %w", err)
	}
	dp := p
	dp.key, dp.reg = key, nil
	sw, err := newSwarm(dp, ps, eventbus.NewBus(), swarm.NoDelayDialRanker,
		swarm.WithUDPBlackHoleSuccessCounter(nil), swarm.WithIPv6BlackHoleSuccessCounter(nil))
	if err != nil {
		ps.Close()
		return nil, err
	}
	_, qcm, err := addTransports(sw, dp)
	if err != nil {
		return nil, errors.Join(err, sw.Close(), closeQCM(qcm), ps.Close())
	}
	go func() {
		<-sw.Done()
		_ = closeQCM(qcm)
		_ = ps.Close()
	}()
	return sw, nil
}

func closeQCM(cm *quicreuse.ConnManager) error {
	if cm == nil {
		return nil
	}
	return cm.Close()
}
