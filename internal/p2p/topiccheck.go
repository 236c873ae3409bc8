package p2p

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/libp2p/go-libp2p/core/peer"
)

// TopicCheck judges one peer for one gossipsub topic, after the installed
// Gate admitted it (TopicGate: a member of the topic's workgroup). A
// service registers one for the topics it owns (Host.AddTopicCheck) to
// narrow them further: chat admits a peer to a room's topic only when
// the room's access list lets it in. A check must be cheap (it runs for
// every subscription, GRAFT, IHAVE and IWANT of its topics) and must not
// call into the router (it runs on the router's event loop).
type TopicCheck func(p peer.ID, topic string) bool

// topicCheck is one registered check: the topics it judges are those
// whose part after the workgroup ("/peerhood/wg/<ID>/") starts with
// suffix (suffix "chat/" judges /peerhood/wg/<ID>/chat/<room>).
type topicCheck struct {
	id     uint64
	suffix string
	check  TopicCheck
}

// topicChecks is the gater's list of registered checks, read without a
// lock (copied on write).
type topicChecks struct {
	mu   sync.Mutex
	next uint64
	list atomic.Pointer[[]topicCheck]
}

// AddTopicCheck registers check for the per-workgroup topics
// "/peerhood/wg/<ID>/<suffix>..." (every workgroup). Such a topic is
// admitted for a peer only when the gate admits it AND every check
// registered for it does. The returned func removes the check. A check
// that starts refusing a connected peer must be followed by
// ResetGossip(p), so its subscriptions are judged again (gossipsub
// judges a subscription once, when it arrives); so must one that starts
// admitting a peer it refused.
func (h *Host) AddTopicCheck(suffix string, check TopicCheck) (remove func()) {
	return h.gater.checks.add(suffix, check)
}

func (c *topicChecks) add(suffix string, check TopicCheck) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	id := c.next
	var list []topicCheck
	if old := c.list.Load(); old != nil {
		list = append(list, *old...)
	}
	list = append(list, topicCheck{id: id, suffix: suffix, check: check})
	c.list.Store(&list)
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		var kept []topicCheck
		for _, tc := range *c.list.Load() {
			if tc.id != id {
				kept = append(kept, tc)
			}
		}
		c.list.Store(&kept)
	}
}

// allow reports whether every check registered for topic admits p.
func (c *topicChecks) allow(p peer.ID, topic string) bool {
	list := c.list.Load()
	if list == nil || len(*list) == 0 || topic == "" {
		return true
	}
	rest, ok := strings.CutPrefix(topic, "/peerhood/wg/")
	if !ok {
		return true
	}
	_, rest, ok = strings.Cut(rest, "/")
	if !ok {
		return true
	}
	for _, tc := range *list {
		if strings.HasPrefix(rest, tc.suffix) && !tc.check(p, topic) {
			return false
		}
	}
	return true
}
