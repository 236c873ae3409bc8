package p2p

import (
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/prometheus/client_golang/prometheus"
)

// gossipCounter counts the chat router's traffic for /metrics
// (peerhood_chat_gossip_total{what}): messages received new ("new"), as
// duplicates ("duplicate"), copies sent ("sent": published and
// forwarded) and IDONTWANT IDs sent ("idontwant"). Received copies per
// message = (new + duplicate) / new.
type gossipCounter struct {
	fresh, dup, sent, idontwant prometheus.Counter
	push                        ChatPushCounters
}

// ChatPushCounters count chat's direct pushes of room messages
// (internal/chat push.go) under the same metric: "push_new" (a message
// received first by push), "push_duplicate" (received by push but held
// already), "push_sent" (frames written), "push_gossip" (own messages
// an author also published on gossip: some member not reachable by push).
type ChatPushCounters struct {
	New, Dup, Sent, Gossip prometheus.Counter
}

// ChatPushCounters returns the counters of chat's pushes (unregistered
// ones when the host exports no metrics).
func (h *Host) ChatPushCounters() ChatPushCounters {
	if h.gossipTracer != nil {
		return h.gossipTracer.push
	}
	c := func() prometheus.Counter { return prometheus.NewCounter(prometheus.CounterOpts{Name: "unexported"}) }
	return ChatPushCounters{New: c(), Dup: c(), Sent: c(), Gossip: c()}
}

func newGossipCounter(reg prometheus.Registerer) *gossipCounter {
	if reg == nil {
		return nil
	}
	v := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "peerhood_chat_gossip_total",
		Help: "Chat router messages: new and duplicate received, sent (copies), IDONTWANT IDs sent.",
	}, []string{"what"})
	if err := reg.Register(v); err != nil {
		return nil
	}
	return &gossipCounter{
		fresh: v.WithLabelValues("new"), dup: v.WithLabelValues("duplicate"),
		sent: v.WithLabelValues("sent"), idontwant: v.WithLabelValues("idontwant"),
		push: ChatPushCounters{New: v.WithLabelValues("push_new"), Dup: v.WithLabelValues("push_duplicate"),
			Sent: v.WithLabelValues("push_sent"), Gossip: v.WithLabelValues("push_gossip")},
	}
}

func (c *gossipCounter) ValidateMessage(m *pubsub.Message) {
	if m.Local {
		return
	}
	c.fresh.Inc()
}
func (c *gossipCounter) DuplicateMessage(*pubsub.Message) { c.dup.Inc() }
func (c *gossipCounter) SendRPC(rpc *pubsub.RPC, _ peer.ID) {
	c.sent.Add(float64(len(rpc.GetPublish())))
	n := 0
	for _, d := range rpc.GetControl().GetIdontwant() {
		n += len(d.GetMessageIDs())
	}
	c.idontwant.Add(float64(n))
}

func (*gossipCounter) OnNewOutboundStream(peer.ID, protocol.ID)             {}
func (*gossipCounter) OnClosedOutboundStream(peer.ID)                       {}
func (*gossipCounter) Join(string)                                          {}
func (*gossipCounter) Leave(string)                                         {}
func (*gossipCounter) Graft(peer.ID, string)                                {}
func (*gossipCounter) Prune(peer.ID, string)                                {}
func (*gossipCounter) DeliverMessage(*pubsub.Message)                       {}
func (*gossipCounter) RejectMessage(*pubsub.Message, string)                {}
func (*gossipCounter) ThrottlePeer(peer.ID)                                 {}
func (*gossipCounter) RecvRPC(*pubsub.RPC)                                  {}
func (*gossipCounter) SendRPCCompleted(*pubsub.RPC, peer.ID, time.Duration) {}
func (*gossipCounter) DropRPC(*pubsub.RPC, peer.ID)                         {}
func (*gossipCounter) UndeliverableMessage(*pubsub.Message)                 {}
