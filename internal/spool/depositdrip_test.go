package spool

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/wire"
)

// A mailbox member that takes a deposit and then drips its reply a byte
// at a time (never finishing) holds neither alice's only delivery worker
// nor the deposit for good (records/2026-12-01-s16-bounds.md). Before,
// the reply was read with the idle deadline alone, re-armed by every
// byte, and each byte was progress to the worker's slot: the worker
// stayed in the pool, and the mail for an honest member waited as long
// as the drip went on. Now a reply frame not whole within stallAfter
// moves the worker out of the pool (the honest mail goes at once), and
// one not whole within frameWait of when its reading began is cut: the
// deposit goes back to its retry schedule.
func TestMailboxDrippingDepositReplyDoesNotHoldWorker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const idle = 5 * time.Second // alice's frameWait: 10 s
	alice, evil, carol, h1 := newTNode(t, "alice"), newTNode(t, "evil", "mailbox"), newTNode(t, "carol"), newTNode(t, "h1")
	group(alice, evil, carol, h1) // carol is never started: offline
	alice.mutate = func(c *Config) {
		slowTimers(c) // a cut deposit is not retried within the test
		c.Workers = 1
		c.sendIdle = idle
		c.stallAfter = 200 * time.Millisecond
	}
	alice.start()
	h1.start()
	connect(t, alice, h1)

	// evil takes a deposit and answers with a reply frame sent a byte
	// every 100 ms (64 KiB: it never ends within the test).
	var frame bytes.Buffer
	if err := wire.WriteFrame(&frame, &mailboxReply{Items: []mailboxItem{{Item: itemMessage, ID: "x", Blob: make([]byte, 64<<10)}}}); err != nil {
		t.Fatal(err)
	}
	deposited := make(chan time.Time, 8)
	cut := make(chan time.Time, 8)
	done := make(chan struct{})
	evil.startHost()
	t.Cleanup(func() { close(done) }) // before alice stops (cleanups run last first)
	evil.host.SetStreamHandler(p2p.ProtoMailbox, func(st network.Stream) {
		defer st.Reset()
		var req mailboxReq
		if wire.NewReader(st, maxControlFrame).ReadFrame(&req) != nil || req.Op != opDeposit {
			return
		}
		deposited <- time.Now()
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for _, b := range frame.Bytes() {
			select {
			case <-done:
				return
			case <-tk.C:
			}
			if _, err := st.Write([]byte{b}); err != nil {
				cut <- time.Now()
				return
			}
		}
	})
	connect(t, alice, evil)

	js, err := alice.svc.Send(ctx, SendRequest{To: []string{"carol"}, Kind: KindMail, Subject: "s", Body: "for the mailbox"})
	if err != nil {
		t.Fatal(err)
	}
	carolJob := js[0].ID
	var began time.Time
	select {
	case began = <-deposited:
	case <-time.After(20 * time.Second):
		t.Fatal("alice did not deposit with evil")
	}
	// alice's only worker sits on the dripping reply, out of the pool.
	testutil.Eventually(t, 5*time.Second, func() error {
		if n := alice.svc.stalledWorkers(); n != 1 {
			return fmt.Errorf("%d workers left the pool stalled, want 1", n)
		}
		return nil
	})
	hs, err := alice.svc.Send(ctx, SendRequest{To: []string{"h1"}, Kind: KindMail, Subject: "s", Body: "past the drip"})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, hs[0].ID, StateDelivered)
	select {
	case at := <-cut:
		t.Fatalf("evil's reply was cut %s after the deposit, before the honest mail was delivered", at.Sub(began))
	default:
	}
	if j := jobState(t, alice, carolJob); j.State != StateQueued || j.Attempts != 0 {
		t.Fatalf("carol's job: %s after %d attempts once the honest mail was delivered; want its first attempt under way", j.State, j.Attempts)
	}
	t.Logf("honest mail delivered %s after the deposit began", time.Since(began).Round(time.Millisecond))

	// The dripped reply is cut once frameWait has passed, and carol's
	// mail waits for a retry.
	select {
	case at := <-cut:
		if d := at.Sub(began); d < frameWait(idle)-time.Second {
			t.Fatalf("evil's reply was cut %s after the deposit, before frameWait (%s)", d, frameWait(idle))
		} else {
			t.Logf("evil's reply was cut %s after the deposit", d.Round(time.Millisecond))
		}
	case <-time.After(2 * frameWait(idle)):
		t.Fatalf("evil's dripped reply was not cut within %s", 2*frameWait(idle))
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		if j := jobState(t, alice, carolJob); j.State != StateQueued || j.Attempts == 0 {
			return fmt.Errorf("carol's job: %s, %d attempts", j.State, j.Attempts)
		}
		return nil
	})
}
