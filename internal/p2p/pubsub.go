package p2p

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// pubsubQueue is the per-peer outbound and validation queue length. The
// default of 32 drops up to 14% of a 1,000-message burst; anything that
// must not be lost still rides an acknowledged protocol, gossip only
// speeds it up.
const pubsubQueue = 2048

// PubSub returns the host's gossipsub router, starting it on first use.
// Messages are signed by their author (StrictSign); services add topic
// validators that check the author's membership.
func (h *Host) PubSub() (*pubsub.PubSub, error) {
	h.psMu.Lock()
	defer h.psMu.Unlock()
	if h.ps != nil {
		return h.ps, nil
	}
	opts := append(h.admission(h.gossipW),
		pubsub.WithMessageSignaturePolicy(pubsub.StrictSign),
		pubsub.WithFloodPublish(true),
		hostRouterParams(), // gossipparams.go
	)
	if h.testTracer != nil {
		opts = append(opts, pubsub.WithRawTracer(h.testTracer))
	}
	ps, err := pubsub.NewGossipSub(h.ctx, gossipHost{h.Host, h.gossipW}, opts...)
	if err != nil {
		return nil, fmt.Errorf("start gossipsub: %w", err)
	}
	h.ps = ps
	h.gossipW.ps.Store(ps)
	return ps, nil
}

// admission is what every gossipsub router of the host applies to its
// peers, the same for each: queues, and the gate's topic check on
// subscriptions (topicFilter), on peers joining a topic (WithPeerFilter)
// and on every RPC (a peer refused for topic "" is not heard at all).
// w is the router's writers (gossipannounce.go): its test hold sees the
// RPCs.
func (h *Host) admission(w *gossipWriters) []pubsub.Option {
	return []pubsub.Option{
		pubsub.WithPeerOutboundQueueSize(pubsubQueue),
		pubsub.WithValidateQueueSize(pubsubQueue),
		pubsub.WithSubscriptionFilter(topicFilter{h.gater}),
		pubsub.WithPeerFilter(h.gater.allowTopic),
		pubsub.WithAppSpecificRpcInspector(func(p peer.ID, rpc *pubsub.RPC) error {
			if !h.gater.allowTopic(p, "") {
				return errRefusedPeer
			}
			w.hold.sawRPC(p, rpc)
			return nil
		}),
	}
}

var errRefusedPeer = errors.New("gossip from a peer the gate refuses")

// gossipHost is the host as the gossip routers see it: it never dials.
// gossipsub opens its stream to a peer when told it connected, from a
// goroutine that may run after the connection is gone (the gate cut a
// stranger once its probation ended, an invite was spent); a dial then
// made a new connection, outbound, which the gate allows (this node
// dialled it), and the stranger stayed connected. Gossip also asks the
// host to dial peers a PRUNE names (peer exchange); a member must not
// make this node dial anyone. Gossip rides the connections that exist.
// It also wraps the router's streams so this node can send its
// subscriptions again (gossipannounce.go).
type gossipHost struct {
	host.Host
	w *gossipWriters
}

var errGossipNoDial = errors.New("gossip does not dial")

// gossipOpenTries bounds the tries to open a writer to a peer that stays
// connected; gossipOpenPause is the pause after the first failure,
// doubled after each (0.1 + 0.2 + 0.4 + 0.8 s in all).
const (
	gossipOpenTries = 5
	gossipOpenPause = 100 * time.Millisecond
)

// NewStream opens the router's writer to p over a connection that
// exists, trying again while p stays connected: gossipsub (v0.19.0)
// forgets a peer whose writer failed to open and opens none again until
// the peer is identified anew (a new connection). A writer opened on a
// connection that closed under it (two connections at once, one of them
// cut: a simultaneous dial, a probation that ended) left the connection
// that stayed with no gossip from this node: the peer never heard its
// subscriptions, so it sent this node nothing of those topics, and this
// node's messages never reached it (guardsweep's ears, TestBrowser's
// restarted member). A peer no longer connected is not dialled.
func (h gossipHost) NewStream(ctx context.Context, p peer.ID, pids ...protocol.ID) (network.Stream, error) {
	ctx = network.WithNoDial(ctx, "gossip rides existing connections")
	pause := gossipOpenPause
	for try := 1; ; try++ {
		s, err := h.w.open(ctx, h.Host, p, pids)
		if err == nil {
			return h.w.opened(s), nil
		}
		if try == gossipOpenTries || h.Network().Connectedness(p) != network.Connected {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(pause):
		}
		pause *= 2
	}
}

func (h gossipHost) SetStreamHandler(pid protocol.ID, fn network.StreamHandler) {
	h.Host.SetStreamHandler(pid, h.w.inbound(fn))
}

func (h gossipHost) SetStreamHandlerMatch(pid protocol.ID, m func(protocol.ID) bool, fn network.StreamHandler) {
	h.Host.SetStreamHandlerMatch(pid, m, h.w.inbound(fn))
}

func (h gossipHost) Connect(_ context.Context, ai peer.AddrInfo) error {
	if h.Network().Connectedness(ai.ID) == network.Connected {
		return nil
	}
	return fmt.Errorf("connect to %s: %w", ai.ID, errGossipNoDial)
}

// topicFilter keeps subscriptions of peers the gate refuses for a topic
// out of the router, so flood publishing never sends them that topic.
type topicFilter struct{ g *gater }

func (topicFilter) CanSubscribe(string) bool { return true }

func (f topicFilter) FilterIncomingSubscriptions(p peer.ID, subs []*pb.RPC_SubOpts) ([]*pb.RPC_SubOpts, error) {
	out := make([]*pb.RPC_SubOpts, 0, len(subs))
	for _, s := range subs {
		if !s.GetSubscribe() || f.g.allowTopic(p, s.GetTopicid()) {
			out = append(out, s)
		}
	}
	return out, nil
}

// ResetGossip resets this node's gossipsub streams with p (both ways), so
// both routers forget what they knew of each other (subscriptions, mesh)
// and exchange their subscriptions afresh over new streams. The topic
// filter decides a peer's subscriptions when they arrive: once what the
// gate says of p changes (p became, or stopped being, a member of a
// workgroup while connected), its subscriptions must be judged again.
// gossipsub reopens a writer to a peer still connected at most four
// times in ten minutes; past that p gets no gossip from this node until
// it reconnects (fails closed). Either end may apply the other's new
// hello before its own writer's death and forget it: the re-announce
// (gossipannounce.go) sends the subscriptions again.
func (h *Host) ResetGossip(p peer.ID) {
	for _, c := range h.Network().ConnsToPeer(p) {
		for _, st := range c.GetStreams() {
			if isGossipProtocol(string(st.Protocol())) {
				_ = st.Reset()
			}
		}
	}
}

// isGossipProtocol reports whether id is one of the routers' protocols
// (gossipsub or its floodsub fallback, the chat router's).
func isGossipProtocol(id string) bool {
	return strings.HasPrefix(id, "/meshsub/") || strings.HasPrefix(id, "/floodsub/") || strings.HasPrefix(id, chatGossipPrefix)
}

// gossipOffRelays resets the gossipsub streams with p that ride on a
// relayed connection, once a direct connection to p is up: gossipsub
// reopens them, and a new stream takes the best connection (direct over
// relayed). Otherwise presence and roster gossip kept riding the relay
// member, and when it went away two members with a working direct link
// showed each other offline for half a minute (gossipsub noticed the dead
// stream late and reopened it after a backoff). The host calls it when a
// direct connection joins a relayed one, and every 20 s for peers that
// have both (a stream opened on the relayed link during the switch).
// Each move spends one of gossipsub's four writer reopens per peer in
// ten minutes; a stream is moved once, as it reopens on the direct link.
func (h *Host) gossipOffRelays(p peer.ID) {
	for _, c := range h.Network().ConnsToPeer(p) {
		if LinkOf(c.RemoteMultiaddr()) != LinkRelayed {
			continue
		}
		for _, st := range c.GetStreams() {
			if isGossipProtocol(string(st.Protocol())) {
				_ = st.Reset()
			}
		}
	}
}

// hasDirectAndRelayed reports whether p is connected both directly and
// through a relay.
func (h *Host) hasDirectAndRelayed(p peer.ID) bool {
	var direct, relayed bool
	for _, c := range h.Network().ConnsToPeer(p) {
		switch LinkOf(c.RemoteMultiaddr()) {
		case LinkDirect:
			direct = true
		case LinkRelayed:
			relayed = true
		}
	}
	return direct && relayed
}
