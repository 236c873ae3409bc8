package presence

import (
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/peerhood/peerhood/internal/wire"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// signed returns a gossip message of topic carrying m, signed by k as
// gossipsub's StrictSign does.
func signed(t testing.TB, k crypto.PrivKey, topic string, m message) *pb.Message {
	t.Helper()
	id, _ := peer.IDFromPrivateKey(k)
	data, err := wire.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	pm := &pb.Message{From: []byte(id), Data: data, Seqno: []byte{0, 0, 0, 0, 0, 0, 0, 9}, Topic: &topic}
	b, err := proto.Marshal(pm)
	if err != nil {
		t.Fatal(err)
	}
	if pm.Signature, err = k.Sign(append([]byte(pubsub.SignPrefix), b...)); err != nil {
		t.Fatal(err)
	}
	return pm
}

// snapshotFixture returns a service (directory only) of node self in a
// workgroup with member key k, and k.
func snapshotFixture(t testing.TB) (*Service, crypto.PrivKey, crypto.PrivKey) {
	t.Helper()
	self, _, _ := crypto.GenerateEd25519Key(nil)
	k, _, _ := crypto.GenerateEd25519Key(nil)
	selfID, _ := peer.IDFromPrivateKey(self)
	kID, _ := peer.IDFromPrivateKey(k)
	dir := workgroup.NewStaticDirectory(selfID, workgroup.Member{Workgroup: wg, Name: "self", PeerID: selfID}, workgroup.Member{Workgroup: wg, Name: "k", PeerID: kID})
	return &Service{self: selfID, cfg: Config{Dir: dir}}, self, k
}

// A snapshot entry counts only when it is a presence message of this
// workgroup's topic, signed by its author, a member other than this node.
func TestCheckSigned(t *testing.T) {
	s, self, k := snapshotFixture(t)
	stranger, _, _ := crypto.GenerateEd25519Key(nil)
	good := message{Workgroup: wg, State: Away, Text: "x", Seq: uint64(time.Now().UnixNano()), IntervalMS: 2000}
	tampered := signed(t, k, Topic(wg), good)
	tampered.Data[len(tampered.Data)-1] ^= 1
	other := good
	other.Workgroup = "wgother"
	for _, tc := range []struct {
		name string
		pm   *pb.Message
		ok   bool
	}{
		{"member's own message", signed(t, k, Topic(wg), good), true},
		{"tampered data", tampered, false},
		{"other topic", signed(t, k, Topic("wgother"), good), false},
		{"other workgroup in the data", signed(t, k, Topic(wg), other), false},
		{"stranger", signed(t, stranger, Topic(wg), good), false},
		{"this node's own", signed(t, self, Topic(wg), good), false},
	} {
		b, _ := proto.Marshal(tc.pm)
		author, _, m, err := s.checkSigned(wg, b)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok %v", tc.name, err, tc.ok)
		}
		if tc.ok && (m.Text != "x" || author.String() != peer.ID(tc.pm.From).String()) {
			t.Errorf("%s: got %s %+v", tc.name, author, m)
		}
	}
}

// FuzzSnapshotEntry feeds arbitrary bytes to the snapshot entry check:
// an error or a checked message, never a panic.
func FuzzSnapshotEntry(f *testing.F) {
	s, _, k := snapshotFixture(f)
	good, _ := proto.Marshal(signed(f, k, Topic(wg), message{Workgroup: wg, State: Online, Seq: 7, IntervalMS: 2000}))
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x02, 0x00, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, pm, m, err := s.checkSigned(wg, b)
		if err == nil && (pm == nil || m.Workgroup != wg || !ValidState(m.State)) {
			t.Fatalf("accepted %+v", m)
		}
	})
}
