package p2p

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	relayv2 "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
	"github.com/libp2p/go-libp2p/x/rate"
)

const (
	// MaxPeers is the number of peer connections a node is sized to hold.
	MaxPeers = 2048
	// PerIPConns is the most connections accepted from one IPv4 address
	// (or IPv6 /64): members behind one NAT share an address.
	PerIPConns = 256
	// ConnLowWater and ConnHighWater drive the connection manager: above
	// the high mark it trims unprotected connections down to the low mark.
	// Member connections are protected, so only strangers are trimmed.
	ConnLowWater  = 1200
	ConnHighWater = 1600
	// ConnBurstPerIP and ConnRatePerIP bound how fast connections to or
	// from one IPv4 address (or IPv6 /64) are opened: a burst, then a
	// steady rate per second. libp2p's default (16, then one per 5 s) would
	// take minutes to reconnect the members behind one NAT, and it applies
	// to our own dials too.
	ConnBurstPerIP = 64
	ConnRatePerIP  = 4
	// PeerMemory is the memory one peer may make this node hold, counted
	// by the resource manager: yamux stream windows (256 KiB reserved per
	// stream when it opens), protocol frames (wire.Reader reserves each
	// frame body) and bulk-transfer buffers (see internal/share). It is
	// a fixed figure, not scaled to the machine: it is what one hostile
	// member can pin.
	PeerMemory = 64 << 20
	// StreamMemory is what one stream may reserve: the largest frame
	// (8 MiB) and its decoded value, under the 80% a reservation at high
	// priority may take.
	StreamMemory = 24 << 20
	// PeerStreamsInbound is how many streams one peer may have open
	// towards this node at once, all protocols together.
	PeerStreamsInbound = 256
	// TunnelStreamsPerPeer is how many /peerhood/tunnel/1 streams one
	// peer may have open each way (one per forwarded TCP connection).
	TunnelStreamsPerPeer = 224
)

// ProtoLimit is what one peer may hold on one protocol: its streams
// towards this node, this node's streams towards it, and the memory
// both count (the whole stream: frames, buffers).
type ProtoLimit struct {
	In, Out int
	Memory  int64
}

// ProtoLimits are the per-peer limits of peerhood's protocols; other
// protocols (identify, ping, kad, pubsub, relay) get libp2p's defaults
// (64 inbound streams, 16 MiB per peer). A stream over a limit is reset
// when its protocol is negotiated. Memory is sized from each protocol's
// frame cap (see internal/wire/doc.go) and is below PeerMemory, so one
// protocol cannot take all of a peer's share.
var ProtoLimits = map[protocol.ID]ProtoLimit{
	// Listings, stat and file transfers; a bulk transfer reserves 3 to 6
	// MiB of pipeline buffers (internal/share).
	ProtoFiles: {In: 64, Out: 64, Memory: 24 << 20},
	// Roster sync: frames up to 8 MiB, each reserved twice (the frame
	// and its decoded value): one frame of the largest size at a time.
	ProtoRoster: {In: 2, Out: 2, Memory: 20 << 20},
	// The join reply carries the whole roster (up to 8 MiB, reserved
	// twice). Two inbound: a joiner that retries at once (another name)
	// must not meet its previous stream, still being released.
	ProtoJoin:     {In: 2, Out: 2, Memory: 20 << 20},
	ProtoHello:    {In: 4, Out: 4, Memory: 1 << 20},
	ProtoPresence: {In: 4, Out: 4, Memory: 1 << 20},
	// Chat history sync: frames up to 2 MiB (reserved twice); direct
	// messages: frames up to 1 MiB.
	ProtoHistory: {In: 4, Out: 4, Memory: 12 << 20},
	ProtoDM:      {In: 8, Out: 8, Memory: 8 << 20},
	// Chat push: one long-lived stream each way per peer (a second while
	// one broken is released); frames up to 24 KiB, read through a
	// 32 KiB buffer.
	ProtoChatPush: {In: 4, Out: 4, Memory: 1 << 20},
	// Store and forward: request frames up to 4 MiB (reserved twice, so
	// two of the largest at once; a batch of small messages is 1 MiB);
	// the sender runs 8 deliveries at once (spool's Workers), a mailbox
	// member a few deposits and fetches. libp2p's default (64 streams,
	// 16 MiB) held no 4 MiB frame reserved twice beside another.
	ProtoDeliver: {In: 32, Out: 32, Memory: 20 << 20},
	ProtoMailbox: {In: 32, Out: 32, Memory: 20 << 20},
	// Tunnels are one stream per forwarded TCP connection; the bytes
	// they carry sit in yamux windows (counted in the connection's
	// scope), not in protocol frames.
	ProtoTunnel: {In: TunnelStreamsPerPeer, Out: TunnelStreamsPerPeer, Memory: 16 << 20},
}

// connRateLimiter is libp2p's connection rate limiter with peerhood's
// per-address figures; loopback stays unlimited, as in libp2p.
func connRateLimiter() *rate.Limiter {
	perIP := rate.Limit{RPS: ConnRatePerIP, Burst: ConnBurstPerIP}
	return &rate.Limiter{
		NetworkPrefixLimits: []rate.PrefixLimit{
			{Prefix: netip.MustParsePrefix("127.0.0.0/8"), Limit: rate.Limit{}},
			{Prefix: netip.MustParsePrefix("::1/128"), Limit: rate.Limit{}},
		},
		SubnetRateLimiter: rate.SubnetLimiter{
			IPv4SubnetLimits: []rate.SubnetLimit{{PrefixLength: 32, Limit: perIP}},
			IPv6SubnetLimits: []rate.SubnetLimit{
				{PrefixLength: 64, Limit: perIP},
				{PrefixLength: 48, Limit: rate.Limit{RPS: 4 * ConnRatePerIP, Burst: 4 * ConnBurstPerIP}},
			},
			GracePeriod: time.Minute,
		},
	}
}

// newResourceManager builds a resource manager sized for MaxPeers
// connections, several streams each, scaled to the machine's memory.
// Options after the node's own (tests) override them.
func newResourceManager(extra ...rcmgr.Option) (network.ResourceManager, error) {
	scaling := rcmgr.DefaultLimits
	concrete := scaling.AutoScale()
	partial := rcmgr.PartialLimitConfig{
		System: rcmgr.ResourceLimits{
			Conns:           2 * MaxPeers,
			ConnsInbound:    MaxPeers + MaxPeers/2,
			ConnsOutbound:   MaxPeers + MaxPeers/2,
			Streams:         16 * MaxPeers,
			StreamsInbound:  8 * MaxPeers,
			StreamsOutbound: 8 * MaxPeers,
			FD:              rcmgr.DefaultLimit,
		},
		Transient: rcmgr.ResourceLimits{
			Conns:           512,
			ConnsInbound:    256,
			ConnsOutbound:   512,
			Streams:         1024,
			StreamsInbound:  TransientStreamsInbound,
			StreamsOutbound: 1024,
		},
		// Tunnels are one stream per TCP connection (per peer: see
		// ProtoLimits, within PeerStreamsInbound).
		Protocol: map[protocol.ID]rcmgr.ResourceLimits{ProtoTunnel: {
			Streams: 2 * MaxPeers, StreamsInbound: MaxPeers, StreamsOutbound: MaxPeers,
		}},
		PeerDefault: rcmgr.ResourceLimits{
			Conns:           8,
			ConnsInbound:    8,
			ConnsOutbound:   8,
			Streams:         512,
			StreamsInbound:  PeerStreamsInbound,
			StreamsOutbound: 256,
			Memory:          PeerMemory,
		},
		Stream:       rcmgr.ResourceLimits{Memory: StreamMemory},
		ProtocolPeer: map[protocol.ID]rcmgr.ResourceLimits{},
		Service:      map[string]rcmgr.ResourceLimits{relayv2.ServiceName: relayServiceLimits()},
	}
	for p, l := range ProtoLimits {
		partial.ProtocolPeer[p] = rcmgr.ResourceLimits{
			Streams:         rcmgr.LimitVal(l.In + l.Out),
			StreamsInbound:  rcmgr.LimitVal(l.In),
			StreamsOutbound: rcmgr.LimitVal(l.Out),
			Memory:          rcmgr.LimitVal64(l.Memory),
		}
	}
	limits := partial.Build(concrete)
	opts := append([]rcmgr.Option{
		rcmgr.WithLimitPerSubnet(
			[]rcmgr.ConnLimitPerSubnet{{PrefixLength: 32, ConnCount: PerIPConns}},
			[]rcmgr.ConnLimitPerSubnet{{PrefixLength: 64, ConnCount: PerIPConns}, {PrefixLength: 48, ConnCount: 4 * PerIPConns}},
		),
		rcmgr.WithConnRateLimiters(connRateLimiter()),
		// Metrics are read at scrape time (rcmgrmetrics.go), not pushed
		// per scope event.
		rcmgr.WithMetricsDisabled(),
	}, extra...)
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits), opts...)
	if err != nil {
		return nil, fmt.Errorf("resource manager: %w", err)
	}
	return rm, nil
}

func newConnManager() (*connmgr.BasicConnMgr, error) {
	cm, err := connmgr.NewConnManager(ConnLowWater, ConnHighWater, connmgr.WithGracePeriod(time.Minute))
	if err != nil {
		return nil, fmt.Errorf("connection manager: %w", err)
	}
	return cm, nil
}
