package share

import (
	"bytes"
	"crypto/rand"
	"io"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// A member that asks for a file on many streams and never reads them
// pins at most its protocol's memory share on the sharing node (the
// transfers beyond it are refused as busy, which clients retry), and
// another member still lists and reads the share.
func TestStalledReadsBounded(t *testing.T) {
	e := newEnv(t, Rule{Who: "*", Right: "ro"})
	big := make([]byte, 16<<20)
	rand.Read(big)
	e.write("big.bin", big)
	hostile := e.client("mallory")
	honest := e.client("bob")

	const streams = 100
	served, busy := 0, 0
	for range streams {
		st, err := hostile.h.NewStream(e.ctx, e.srvHost.ID(), p2p.ProtoFiles)
		if err != nil {
			continue // over the per-peer stream limit
		}
		t.Cleanup(func() { st.Reset() })
		_ = st.SetDeadline(time.Now().Add(20 * time.Second))
		if err := wire.WriteFrame(st, Request{Op: OpRead, Share: "docs", Path: "big.bin"}); err != nil {
			continue
		}
		var rep Reply
		if err := wire.NewReader(st, maxFrame).ReadFrame(&rep); err != nil {
			continue
		}
		switch {
		case rep.Err == nil:
			served++ // and never read
		case rep.Err.Code == codeBusy:
			busy++
		default:
			t.Fatalf("unexpected refusal: %v", rep.Err)
		}
	}
	limit := p2p.ProtoLimits[p2p.ProtoFiles].Memory
	if busy == 0 {
		t.Fatalf("all %d stalled transfers were served: nothing bounds the memory they pin", served)
	}
	// Only the hostile peer uses the protocol now: the protocol's scope
	// holds what its stalled transfers pin.
	rm := e.srvHost.Network().ResourceManager()
	var pinned, held int64
	_ = rm.ViewProtocol(p2p.ProtoFiles, func(s network.ProtocolScope) error {
		pinned = s.Stat().Memory
		return nil
	})
	_ = rm.ViewPeer(hostile.h.ID(), func(s network.PeerScope) error {
		held = s.Stat().Memory
		return nil
	})
	if pinned > limit || pinned < int64(served*lowPipe.bytes()) {
		t.Fatalf("%d stalled transfers hold %d bytes of the protocol's memory, limit %d", served, pinned, limit)
	}
	if held > p2p.PeerMemory {
		t.Fatalf("the hostile peer holds %d bytes, limit %d", held, p2p.PeerMemory)
	}
	t.Logf("stalled transfers: %d served, %d busy; they hold %d MiB, the peer %d MiB", served, busy, pinned>>20, held>>20)

	// Another member is not held back.
	ents, err := honest.ReadDir(e.ctx, "docs", ".")
	if err != nil || len(ents) != 1 {
		t.Fatalf("honest ls: %v %v", ents, err)
	}
	r, err := honest.OpenRead(e.ctx, "docs", "big.bin", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("honest read: %d bytes, %v", len(got), err)
	}
}
