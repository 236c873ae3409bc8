package p2p

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"google.golang.org/protobuf/proto"
)

// rpcFrame is a gossipsub frame: uvarint length, then rpc.
func rpcFrame(t *testing.T, rpc *pb.RPC) []byte {
	t.Helper()
	body, err := proto.Marshal(rpc)
	if err != nil {
		t.Fatal(err)
	}
	return append(binary.AppendUvarint(nil, uint64(len(body))), body...)
}

// A frame loses exactly the subscriptions to topics the peer is refused
// (and one naming no topic); everything else in it stays, and a frame
// with nothing refused is passed on as it is. What is not one whole
// frame is refused.
func TestFilterSubscriptions(t *testing.T) {
	sub := func(topic string) *pb.RPC_SubOpts {
		return &pb.RPC_SubOpts{Subscribe: proto.Bool(true), Topicid: proto.String(topic)}
	}
	msg := &pb.Message{Data: []byte("payload"), Topic: proto.String("/peerhood/wg/A/roster")}
	allow := func(topic string) bool { return topic == "/peerhood/wg/A/roster" }
	for _, tc := range []struct {
		name     string
		rpc      *pb.RPC
		want     []string // topics of the subscriptions kept
		same     bool     // the frame passes unchanged
		keepsMsg bool
	}{
		{"hello of a member of A only", &pb.RPC{Subscriptions: []*pb.RPC_SubOpts{sub("/peerhood/wg/A/roster"), sub("/peerhood/wg/B/roster"), sub("/peerhood/wg/B/chat/secret")}},
			[]string{"/peerhood/wg/A/roster"}, false, false},
		{"hello to a stranger", &pb.RPC{Subscriptions: []*pb.RPC_SubOpts{sub("/peerhood/wg/B/roster"), sub("/peerhood/wg/B/chat/secret")}},
			nil, false, false},
		{"no topic", &pb.RPC{Subscriptions: []*pb.RPC_SubOpts{{Subscribe: proto.Bool(true)}}}, nil, false, false},
		{"messages only", &pb.RPC{Publish: []*pb.Message{msg}}, nil, true, true},
		{"allowed subscription and a message", &pb.RPC{Subscriptions: []*pb.RPC_SubOpts{sub("/peerhood/wg/A/roster")}, Publish: []*pb.Message{msg}},
			[]string{"/peerhood/wg/A/roster"}, true, true},
		{"refused subscription and a message", &pb.RPC{Subscriptions: []*pb.RPC_SubOpts{sub("/peerhood/wg/B/roster")}, Publish: []*pb.Message{msg}},
			nil, false, true},
		{"empty", &pb.RPC{}, nil, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := rpcFrame(t, tc.rpc)
			out, err := filterSubscriptions(in, allow)
			if err != nil {
				t.Fatal(err)
			}
			if same := len(out) == len(in) && &out[0] == &in[0]; same != tc.same {
				t.Fatalf("frame passed unchanged: %v, want %v", same, tc.same)
			}
			size, n := binary.Uvarint(out)
			if n <= 0 || int(size) != len(out)-n {
				t.Fatalf("not one frame: %x", out)
			}
			var got pb.RPC
			if err := proto.Unmarshal(out[n:], &got); err != nil {
				t.Fatal(err)
			}
			var topics []string
			for _, s := range got.Subscriptions {
				topics = append(topics, s.GetTopicid())
			}
			if !slices.Equal(topics, tc.want) {
				t.Fatalf("kept subscriptions %q, want %q", topics, tc.want)
			}
			if keeps := len(got.Publish) == 1 && bytes.Equal(got.Publish[0].Data, msg.Data); keeps != tc.keepsMsg {
				t.Fatalf("message kept: %v, want %v", keeps, tc.keepsMsg)
			}
		})
	}
	whole := rpcFrame(t, &pb.RPC{Subscriptions: []*pb.RPC_SubOpts{sub("/peerhood/wg/B/roster")}})
	for name, b := range map[string][]byte{
		"half a frame":     whole[:len(whole)/2],
		"two frames":       append(slices.Clone(whole), whole...),
		"no length":        nil,
		"garbled protobuf": append(binary.AppendUvarint(nil, 3), 0xff, 0xff, 0xff),
	} {
		if _, err := filterSubscriptions(b, allow); !errors.Is(err, errGossipFrame) {
			t.Errorf("%s: %v, want errGossipFrame", name, err)
		}
	}
}
