package discovery

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testutil"
)

// findNode sends one Kademlia FIND_NODE for key over the workgroup DHT's
// protocol from h to p and returns the raw reply ("" and an error when
// the stream is refused). The request is hand-encoded protobuf: field 1
// (type) = 4 (FIND_NODE), field 2 (key).
func findNode(ctx context.Context, h *p2p.Host, p peer.ID, key []byte) ([]byte, error) {
	st, err := h.NewStream(ctx, p, DHTPrefix(testWG)+"/kad/1.0.0")
	if err != nil {
		return nil, err
	}
	defer st.Close()
	_ = st.SetDeadline(time.Now().Add(5 * time.Second))
	msg := append([]byte{0x08, 0x04, 0x12}, binary.AppendUvarint(nil, uint64(len(key)))...)
	msg = append(msg, key...)
	if _, err := st.Write(append(binary.AppendUvarint(nil, uint64(len(msg))), msg...)); err != nil {
		return nil, err
	}
	r := bufio.NewReader(st)
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > 1<<20 {
		return nil, fmt.Errorf("reply of %d bytes", n)
	}
	out := make([]byte, n)
	if _, err := io.ReadFull(r, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Issue 16 item 10: a stranger (a fresh identity each time) that
// connects to a member gets nothing from the workgroup's DHT by
// FIND_NODE, and identify does not tell it the workgroup ID; a member
// asking the same gets the members it asks for.
func TestDHTAnswersMembersOnly(t *testing.T) {
	nodes := newCluster(t, 3, clusterOpts{interval: 300 * time.Millisecond})
	seed(t, nodes[0], nodes[1])
	seed(t, nodes[0], nodes[2])
	startAll(t, nodes)
	testutil.Eventually(t, 20*time.Second, func() error {
		d := nodes[0].disc.dht(testWG)
		if d == nil || d.d.RoutingTable().Size() < 2 {
			return fmt.Errorf("n00's DHT routing table is not filled yet")
		}
		return nil
	})
	ctx := context.Background()
	target := []byte(nodes[2].id)
	// A member is answered, with the member it looks for among the
	// closer peers.
	reply, err := findNode(ctx, nodes[1].host, nodes[0].id, target)
	if err != nil || !bytes.Contains(reply, target) {
		t.Fatalf("member's FIND_NODE: %v, reply of %d bytes without the target", err, len(reply))
	}
	for i := range 3 {
		k, _, err := crypto.GenerateEd25519Key(nil)
		if err != nil {
			t.Fatal(err)
		}
		stranger, err := p2p.New(p2p.Config{Key: k, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stranger.Connect(ctx, nodes[0].host.Addrs()[0]); err != nil {
			t.Fatal(err)
		}
		reply, err := findNode(ctx, stranger, nodes[0].id, target)
		if err == nil || bytes.Contains(reply, target) {
			t.Errorf("stranger %d: FIND_NODE answered (%d bytes, err %v)", i, len(reply), err)
		}
		for _, p := range []peer.ID{nodes[1].id, nodes[2].id} {
			if len(stranger.Peerstore().Addrs(p)) > 0 {
				t.Errorf("stranger %d learnt the addresses of member %s", i, p)
			}
		}
		testutil.Eventually(t, 5*time.Second, func() error {
			if ps, _ := stranger.Peerstore().GetProtocols(nodes[0].id); len(ps) == 0 {
				return fmt.Errorf("identify has not run")
			}
			return nil
		})
		protos, _ := stranger.Peerstore().GetProtocols(nodes[0].id)
		for _, pr := range protos {
			if strings.Contains(string(pr), testWG) {
				t.Errorf("identify shows a stranger the workgroup ID: %s", pr)
			}
		}
		if stranger.Network().Connectedness(nodes[0].id) == network.Connected {
			_ = stranger.Network().ClosePeer(nodes[0].id)
		}
		stranger.Close()
	}
}
