package discovery

import (
	"context"
	"encoding/binary"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/testutil"
)

// heapAfterGC is the live heap of the test process.
func heapAfterGC() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// A member that opens 60 streams to a node's workgroup DHT, each
// announcing a message of 4 MiB (kad's largest) and sending nothing
// more, has each reset: the node does not allocate the 4 MiB each (kad
// did, as soon as the length arrived: 240 MiB held while the streams
// stayed). A FIND_NODE of the same member is still answered.
func TestDHTCapsRequests(t *testing.T) {
	nodes := newCluster(t, 2, clusterOpts{interval: 300 * time.Millisecond})
	seed(t, nodes[0], nodes[1])
	startAll(t, nodes)
	testutil.Eventually(t, 20*time.Second, func() error {
		if d := nodes[0].disc.dht(testWG); d == nil {
			return fmt.Errorf("n00 has no DHT yet")
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	proto := DHTPrefix(testWG) + "/kad/1.0.0"
	// The member may have to dial again (a connection cut under load).
	nodes[1].host.Peerstore().AddAddrs(nodes[0].id, nodes[0].host.Host.Addrs(), time.Hour)
	base := heapAfterGC()
	var held []network.Stream
	var refused error
	for range 60 {
		st, err := nodes[1].host.NewStream(ctx, nodes[0].id, proto)
		if err != nil {
			refused = err
			continue
		}
		held = append(held, st)
		_, _ = st.Write(binary.AppendUvarint(nil, 4<<20)) // may be reset meanwhile
	}
	t.Cleanup(func() {
		for _, st := range held {
			st.Reset()
		}
	})
	// 16 are enough to tell: 64 MiB allocated, twice the limit below.
	if len(held) < 16 {
		t.Fatalf("only %d streams opened (%v): the attack did not take place", len(held), refused)
	}
	// Each length was read within milliseconds; sample for a while.
	var peak uint64
	for range 8 {
		peak = max(peak, heapAfterGC())
		time.Sleep(250 * time.Millisecond)
	}
	grew := int64(peak) - int64(base)
	t.Logf("%d streams announce 4 MiB (the others refused: %v); live heap %d MiB before, peak %d MiB (%+d MiB)", len(held), refused, base>>20, peak>>20, grew>>20)
	if grew > 32<<20 {
		t.Errorf("the live heap grew by %d MiB, limit 32 MiB", grew>>20)
	}
	target := []byte(nodes[1].id)
	if reply, err := findNode(ctx, nodes[1].host, nodes[0].id, target); err != nil || len(reply) == 0 {
		t.Errorf("the member's FIND_NODE meanwhile: %v (%d bytes)", err, len(reply))
	}
}
