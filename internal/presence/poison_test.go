package presence

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/wire"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// heard reports whether s has had p's message seq (or a later one).
func (s *Service) heard(p peer.ID, seq uint64) func() error {
	return func() error {
		if got := s.seqOf(p); got < seq {
			return fmt.Errorf("has %d of %s, want %d", got, p, seq)
		}
		return nil
	}
}

// Issue 16 item 16: a - b - v in a line (a has no connection to v). b,
// a member, reports v gone with sequence number MaxUint64 while v is
// alive. a must keep showing v present: v's own heartbeats (through b)
// outweigh another member's report.
func TestGoneReportCannotHideLiveMember(t *testing.T) {
	a, b, v := newHost(t), newHost(t), newHost(t)
	ms := []workgroup.Member{member(a, "a"), member(b, "b"), member(v, "v")}
	pa := start(t, a, workgroup.NewStaticDirectory(a.ID(), ms...))
	pb := start(t, b, workgroup.NewStaticDirectory(b.ID(), ms...))
	start(t, v, workgroup.NewStaticDirectory(v.ID(), ms...))
	connect(t, a, b)
	connect(t, v, b)
	testutil.Eventually(t, 10*time.Second, wantState(pa, v.ID(), Online, ""))
	if a.Network().Connectedness(v.ID()) == network.Connected {
		t.Fatal("a is connected to v; the test needs a line")
	}
	pb.mu.Lock()
	pb.publishLocked(wg, pb.topics[wg], Online, map[peer.ID]uint64{v.ID(): math.MaxUint64})
	report := pb.seq
	pb.mu.Unlock()
	testutil.Eventually(t, 5*time.Second, pa.heard(b.ID(), report))
	// v keeps heartbeating (every 300 ms): it is present at a again at
	// the latest with its next message, and stays so.
	testutil.Eventually(t, 10*time.Second, wantState(pa, v.ID(), Online, ""))
	after := pa.seqOf(v.ID())
	testutil.Eventually(t, 5*time.Second, pa.heard(v.ID(), after+2))
	if err := wantState(pa, v.ID(), Online, "")(); err != nil {
		t.Fatalf("a live member reported gone by another: %v", err)
	}
}

// A member's own message numbered far ahead of the clock (MaxUint64) is
// refused, on the topic and directly: accepted, it would hide every later
// message of that member until the receiver restarts.
func TestImplausibleSequenceRefused(t *testing.T) {
	a, v := newHost(t), newHost(t)
	ms := []workgroup.Member{member(a, "a"), member(v, "v")}
	pa := start(t, a, workgroup.NewStaticDirectory(a.ID(), ms...))
	pv := start(t, v, workgroup.NewStaticDirectory(v.ID(), ms...))
	connect(t, a, v)
	testutil.Eventually(t, 10*time.Second, wantState(pa, v.ID(), Online, ""))
	b, err := wire.Marshal(message{Workgroup: wg, State: Busy, Text: "stuck", Seq: math.MaxUint64, IntervalMS: 300})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pv.mu.Lock()
	top := pv.topics[wg].topic
	pv.mu.Unlock()
	_ = top.Publish(ctx, b) // refused by v's own validator once fixed
	if _, err := pv.Set(ctx, Away, "later"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, wantState(pa, v.ID(), Away, "later"))
	if got := pa.seqOf(v.ID()); got == math.MaxUint64 {
		t.Fatal("a took a sequence number of MaxUint64")
	}
	if !plausibleSeq(uint64(time.Now().UnixNano()), time.Now()) || plausibleSeq(math.MaxUint64, time.Now()) {
		t.Fatal("plausibleSeq")
	}
}
