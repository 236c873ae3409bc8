package spool

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
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
	deposited, cut := dripMailbox(t, evil, opDeposit, maxControlFrame)
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
