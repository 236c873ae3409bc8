package p2p

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"

	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-msgio"
	"google.golang.org/protobuf/proto"
)

// frameTracker tells a frame boundary whatever the router's writes cut:
// whole frames, a length split from its body, a length split in two, a
// write spanning frames. A re-announce goes only at a boundary.
func TestFrameTracker(t *testing.T) {
	t.Parallel()
	big := append(binary.AppendUvarint(nil, 300), make([]byte, 300)...) // two-byte length
	small := append(binary.AppendUvarint(nil, 3), 1, 2, 3)
	empty := []byte{0}
	for _, tc := range []struct {
		name   string
		writes [][]byte
		want   []bool // boundary after each write
	}{
		{"whole frames", [][]byte{small, big, empty}, []bool{true, true, true}},
		{"length then body", [][]byte{big[:2], big[2:]}, []bool{false, true}},
		{"length split", [][]byte{big[:1], big[1:2], big[2:]}, []bool{false, false, true}},
		{"body split", [][]byte{big[:100], big[100:]}, []bool{false, true}},
		{"across frames", [][]byte{append(slices.Clone(small), big[:5]...), big[5:]}, []bool{false, true}},
		{"two in one", [][]byte{append(slices.Clone(small), small...)}, []bool{true}},
		{"length over 64 bits", [][]byte{bytes.Repeat([]byte{0xff}, 11)}, []bool{false}},
	} {
		var f frameTracker
		for i, w := range tc.writes {
			f.advance(w)
			if got := f.boundary(); got != tc.want[i] {
				t.Errorf("%s: after write %d boundary %v, want %v", tc.name, i, got, tc.want[i])
			}
		}
	}
}

// A re-announce is one gossipsub frame, read as gossipsub reads one
// (msgio varint framing, pb.RPC), subscribing to every topic given.
func TestSubscriptionsFrame(t *testing.T) {
	t.Parallel()
	topics := []string{"/peerhood/wg/x/roster", "/peerhood/wg/x/chat", "/peerhood/wg/x/chat/general"}
	frame := subscriptionsFrame(slices.Clone(topics))
	var f frameTracker
	f.advance(frame)
	if !f.boundary() {
		t.Fatal("a re-announce is not a whole frame")
	}
	r := msgio.NewVarintReaderSize(bytes.NewReader(frame), 1<<20)
	msg, err := r.ReadMsg()
	if err != nil {
		t.Fatal(err)
	}
	var rpc pb.RPC
	if err := proto.Unmarshal(msg, &rpc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range rpc.GetSubscriptions() {
		if !s.GetSubscribe() {
			t.Errorf("topic %s: an unsubscribe", s.GetTopicid())
		}
		got = append(got, s.GetTopicid())
	}
	slices.Sort(topics)
	if !slices.Equal(got, topics) {
		t.Errorf("topics %q, want %q", got, topics)
	}
	if rpc.GetControl() != nil || len(rpc.GetPublish()) != 0 {
		t.Error("a re-announce carries more than subscriptions")
	}
}

// The cost a gossip writer pays on every frame for the re-announce: the
// lock and the frame tracking around a write (here to a discarding
// stream), per 1 KiB frame.
func BenchmarkGossipStreamWrite(b *testing.B) {
	s := &gossipStream{Stream: discardStream{}, w: newGossipWriters(func(peer.ID, string) bool { return true })}
	// One message of 1 KiB, as gossipsub frames it (the writer reads the
	// frame for subscriptions: gossipsubs.go).
	body, err := proto.Marshal(&pb.RPC{Publish: []*pb.Message{{Data: make([]byte, 1000), Topic: proto.String("/peerhood/wg/A/chat/hall")}}})
	if err != nil {
		b.Fatal(err)
	}
	frame := append(binary.AppendUvarint(nil, uint64(len(body))), body...)
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if _, err := s.Write(frame); err != nil {
			b.Fatal(err)
		}
	}
}

// discardStream is a stream whose writes go nowhere.
type discardStream struct{ network.Stream }

func (discardStream) Write(b []byte) (int, error) { return len(b), nil }
