package p2p

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
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
	// TunnelStreamsPerPeer is how many /peerhood/tunnel/1 streams one
	// peer may have open each way (one per forwarded TCP connection).
	TunnelStreamsPerPeer = 224
)

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
			StreamsInbound:  512,
			StreamsOutbound: 1024,
		},
		// Tunnels are one stream per TCP connection: let one member hold
		// TunnelStreamsPerPeer of them (libp2p's default per protocol and
		// peer is 64 inbound), within PeerDefault's 256.
		Protocol: map[protocol.ID]rcmgr.ResourceLimits{ProtoTunnel: {
			Streams: 2 * MaxPeers, StreamsInbound: MaxPeers, StreamsOutbound: MaxPeers,
		}},
		ProtocolPeer: map[protocol.ID]rcmgr.ResourceLimits{ProtoTunnel: {
			Streams: 2 * TunnelStreamsPerPeer, StreamsInbound: TunnelStreamsPerPeer, StreamsOutbound: TunnelStreamsPerPeer,
		}},
		PeerDefault: rcmgr.ResourceLimits{
			Conns:           8,
			ConnsInbound:    8,
			ConnsOutbound:   8,
			Streams:         512,
			StreamsInbound:  256,
			StreamsOutbound: 256,
		},
	}
	limits := partial.Build(concrete)
	opts := append([]rcmgr.Option{
		rcmgr.WithLimitPerSubnet(
			[]rcmgr.ConnLimitPerSubnet{{PrefixLength: 32, ConnCount: PerIPConns}},
			[]rcmgr.ConnLimitPerSubnet{{PrefixLength: 64, ConnCount: PerIPConns}, {PrefixLength: 48, ConnCount: 4 * PerIPConns}},
		),
		rcmgr.WithConnRateLimiters(connRateLimiter()),
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
