package p2p

import (
	"encoding/binary"
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// Subscriptions told only to peers admitted to the topic.
//
// gossipsub (v0.19.0) tells every peer it opens a writer to all of this
// node's subscriptions (the hello), and every later subscription change,
// whoever the peer is: a stranger on probation, one connected while an
// invite is out, one this node dialled, a member of another workgroup
// only. A topic's name carries the workgroup ID and a chat room's name
// ("/peerhood/wg/<ID>/chat/<room>"), which identify hides (the DHT's tag)
// and hello never sends (HMAC tags). So each frame the router writes is
// read before it goes out, and the subscriptions to topics the gate does
// not admit the peer to (gater.allowTopic: the TopicGate and the
// services' topic checks) are taken out of it. The router writes one
// frame per Write (comm.go's writeRpc); a write that is not one whole
// frame cannot be read, and is refused (errGossipFrame) rather than sent
// unread. A peer admitted later has its gossip streams reset
// (ResetGossip): the new writer's hello tells it what it may now know.

// RPC and SubOpts field numbers (go-libp2p-pubsub's pb/rpc.proto).
const (
	rpcSubscriptions protowire.Number = 1
	subOptsTopicID   protowire.Number = 2
)

var errGossipFrame = errors.New("gossip: a write that is not one whole frame")

// filterSubscriptions returns frame, one gossipsub RPC frame (uvarint
// length, then the RPC), without its subscriptions to the topics allow
// refuses; frame itself, not copied, when it names none (the common
// case: a frame of messages is only scanned). It fails when frame is not
// one well-formed frame.
func filterSubscriptions(frame []byte, allow func(topic string) bool) ([]byte, error) {
	size, n := binary.Uvarint(frame)
	if n <= 0 || uint64(len(frame)-n) != size {
		return nil, errGossipFrame
	}
	body := frame[n:]
	var drop [][2]int // [start, end) of each refused subscription field in body
	for off := 0; off < len(body); {
		num, typ, tn := protowire.ConsumeTag(body[off:])
		if tn < 0 {
			return nil, errGossipFrame
		}
		vn := protowire.ConsumeFieldValue(num, typ, body[off+tn:])
		if vn < 0 {
			return nil, errGossipFrame
		}
		if num == rpcSubscriptions && typ == protowire.BytesType {
			sub, _ := protowire.ConsumeBytes(body[off+tn:])
			if t := subTopic(sub); t == "" || !allow(t) {
				drop = append(drop, [2]int{off, off + tn + vn})
			}
		}
		off += tn + vn
	}
	if len(drop) == 0 {
		return frame, nil
	}
	kept := make([]byte, 0, len(body))
	at := 0
	for _, d := range drop {
		kept = append(kept, body[at:d[0]]...)
		at = d[1]
	}
	kept = append(kept, body[at:]...)
	return append(binary.AppendUvarint(make([]byte, 0, len(kept)+binary.MaxVarintLen64), uint64(len(kept))), kept...), nil
}

// subTopic is a SubOpts' topic ID ("" when it has none or is garbled;
// such a subscription is taken out).
func subTopic(sub []byte) string {
	topic := ""
	for off := 0; off < len(sub); {
		num, typ, tn := protowire.ConsumeTag(sub[off:])
		if tn < 0 {
			return ""
		}
		vn := protowire.ConsumeFieldValue(num, typ, sub[off+tn:])
		if vn < 0 {
			return ""
		}
		if num == subOptsTopicID && typ == protowire.BytesType {
			b, _ := protowire.ConsumeBytes(sub[off+tn:])
			topic = string(b)
		}
		off += tn + vn
	}
	return topic
}
