package presence

import (
	"errors"
	"fmt"
	"testing"
	"time"

	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// The presence topic's message ID is 8 bytes, a function of the
// message's content only (every node computes the same one), and it
// differs when author, sequence number or data differ.
func TestMsgID(t *testing.T) {
	base := &pb.Message{From: []byte("author-a"), Seqno: []byte{0, 0, 0, 0, 0, 0, 0, 1}, Data: []byte("online"), Topic: new(string)}
	again := &pb.Message{From: []byte("author-a"), Seqno: []byte{0, 0, 0, 0, 0, 0, 0, 1}, Data: []byte("online"), Signature: []byte("sig")}
	if got := msgID(base); len(got) != msgIDSize || got != msgID(again) {
		t.Fatalf("msgID = %x (%d bytes); the same content gives %x", got, len(got), msgID(again))
	}
	for name, m := range map[string]*pb.Message{
		"author": {From: []byte("author-b"), Seqno: base.Seqno, Data: base.Data},
		"seqno":  {From: base.From, Seqno: []byte{0, 0, 0, 0, 0, 0, 0, 2}, Data: base.Data},
		"data":   {From: base.From, Seqno: base.Seqno, Data: []byte("away")},
	} {
		if msgID(m) == msgID(base) {
			t.Errorf("another %s, same ID", name)
		}
	}
}

var errNotYet = errors.New("not yet")

// line starts a - b - v (a not connected to v) with 30 s heartbeats, and
// waits until a sees v online.
func line(t *testing.T) (a, b, v *Service, vh *p2p.Host) {
	t.Helper()
	ha, hb, hv := newHost(t), newHost(t), newHost(t)
	ms := []workgroup.Member{member(ha, "a"), member(hb, "b"), member(hv, "v")}
	a = startEvery(t, ha, workgroup.NewStaticDirectory(ha.ID(), ms...), 30*time.Second)
	b = startEvery(t, hb, workgroup.NewStaticDirectory(hb.ID(), ms...), 30*time.Second)
	v = startEvery(t, hv, workgroup.NewStaticDirectory(hv.ID(), ms...), 30*time.Second)
	connect(t, hv, hb)
	testutil.Eventually(t, 10*time.Second, func() error { // b holds v's signed message
		b.mu.Lock()
		defer b.mu.Unlock()
		if r := b.topics[wg].records[hv.ID()]; r == nil || r.raw == nil {
			return errNotYet
		}
		return nil
	})
	connect(t, ha, hb) // b's answer tells a about v
	testutil.Eventually(t, 10*time.Second, wantState(a, hv.ID(), Online, ""))
	if ha.Network().Connectedness(hv.ID()) == network.Connected {
		t.Fatal("a is connected to v; the test needs a line")
	}
	return a, b, v, hv
}

// With long heartbeat intervals (30 s here), a member reported gone by
// another while it is alive hears the report and publishes at once, so
// the others keep showing it present; without the refutation they show
// it offline after refuteWait (3 s) until its next heartbeat.
func TestLiveMemberRefutesGoneReport(t *testing.T) {
	a, b, _, vh := line(t)
	v := vh.ID()
	time.Sleep(kickLate + time.Second) // the kicks after the connections are over
	seq := a.seqOf(v)
	b.mu.Lock()
	b.publishLocked(wg, b.topics[wg], Online, map[peer.ID]uint64{v: b.topics[wg].records[v].seq})
	b.mu.Unlock()
	testutil.Eventually(t, refuteWait, a.heard(v, seq+1))
	time.Sleep(refuteWait + time.Second)
	if err := wantState(a, v, Online, "")(); err != nil {
		t.Fatalf("a live member reported gone: %v", err)
	}
}

// With long heartbeat intervals (30 s here), a member that vanishes shows
// offline at a member not connected to it within the probe and
// refuteWait (about 6 s), not after 1.2 intervals (36 s).
func TestDepartureSeenQuicklyWithLongIntervals(t *testing.T) {
	a, _, _, vh := line(t)
	began := time.Now()
	vh.Close() // no goodbye
	testutil.Eventually(t, 10*time.Second, wantState(a, vh.ID(), Offline, ""))
	t.Logf("offline %s after it vanished", time.Since(began))
}

// Eight members in a line, in a workgroup of 100 (92 never come), so
// heartbeats are 50 s apart: every member sees every other online within
// 10 s (neighbours' snapshots carry the members beyond them, hop by hop),
// and a change reaches the far end within 10 s (changes are published at
// once, whatever the interval).
func TestLargeGroupConverges(t *testing.T) {
	const n = 8
	hs := make([]*p2p.Host, n)
	ms := fakeMembers(t, 100-n)
	for i := range hs {
		hs[i] = newHost(t)
		ms = append(ms, member(hs[i], fmt.Sprintf("m%d", i)))
	}
	ss := make([]*Service, n)
	for i, h := range hs {
		ss[i] = startEvery(t, h, workgroup.NewStaticDirectory(h.ID(), ms...), 2*time.Second)
	}
	for i := 1; i < n; i++ {
		connect(t, hs[i], hs[i-1])
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		for i, s := range ss {
			for j, h := range hs {
				if i != j && s.Of(wg, h.ID()).State != Online {
					return fmt.Errorf("m%d does not see m%d online", i, j)
				}
			}
		}
		return nil
	})
	ss[0].mu.Lock()
	iv := ss[0].topics[wg].interval
	ss[0].mu.Unlock()
	if iv != 50*time.Second {
		t.Fatalf("interval %s, want 50s", iv)
	}
	if _, err := ss[0].Set(t.Context(), Away, "far"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, wantState(ss[n-1], hs[0].ID(), Away, "far"))
}

// Broadcasts on peer joins are coalesced to a quarter interval, but never
// longer than maxKickGap, whatever the interval.
func TestKickGap(t *testing.T) {
	for _, tc := range []struct{ interval, want time.Duration }{
		{300 * time.Millisecond, kickAgain},
		{2 * time.Second, 500 * time.Millisecond},
		{30 * time.Second, 7500 * time.Millisecond},
		{500 * time.Second, maxKickGap},
	} {
		if got := kickGap(tc.interval); got != tc.want {
			t.Errorf("kickGap(%s) = %s, want %s", tc.interval, got, tc.want)
		}
	}
}
