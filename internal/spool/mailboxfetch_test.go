package spool

import (
	"context"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/workgroup"
)

// A mailbox member that answers a fetch's list request with a frame
// trickled a byte at a time (never finishing) does not hold up bob's
// fetches from his other mailbox (records/2026-12-01-s15-mboxfetch.md).
// Before, all mailboxes were fetched from one loop: the trickle re-armed
// the read deadline at every byte, the loop waited for good, and mail
// for bob held by the honest mailbox stayed there (its notify and bob's
// connection only queued fetches for that loop). Now each mailbox is
// fetched from on its own goroutine, so the honest mail arrives while
// the trickling fetch is still held (well within frameWait), and the
// trickled frame is cut once frameWait has passed since its reading
// began.
func TestMailboxTricklingListDoesNotDelayOthers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const idle = 10 * time.Second // bob's frameWait: 20 s
	alice, mbox, bob := newTNode(t, "alice"), newTNode(t, "mbox", "mailbox"), newTNode(t, "bob")
	evil := newTNode(t, "evil", "mailbox")
	group(alice, mbox, bob, evil)
	// alice does not know evil: she deposits with mbox only.
	alice.dir = workgroup.NewStaticDirectory(alice.id.PeerID)
	for _, n := range []*tnode{alice, mbox, bob} {
		alice.dir.Add(n.member())
	}
	alice.mutate = slowTimers
	bob.mutate = func(c *Config) {
		slowTimers(c)
		c.sendIdle = idle
	}
	bob.start()

	// evil answers a list request with a listing frame sent a byte every
	// 100 ms (64 KiB: it never ends within the test) and refuses the rest.
	listed, cut := dripMailbox(t, evil, opList, maxListFrame)
	connect(t, bob, evil)
	var began time.Time
	select {
	case began = <-listed:
	case <-time.After(10 * time.Second):
		t.Fatal("bob did not ask evil for its listing")
	}

	// Now the honest mailbox and mail for bob: alice cannot reach bob,
	// deposits with mbox, and mbox tells bob (connected to it).
	mbox.start()
	alice.start()
	connect(t, alice, mbox)
	connect(t, bob, mbox)
	sent := time.Now()
	if _, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s", Body: "past the trickle"}); err != nil {
		t.Fatal(err)
	}
	took := waitInbox(t, bob, KindMail, 1, sent, 8*time.Second)
	t.Logf("the mail reached bob %s after it was sent, evil's listing trickling for %s", took.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	select {
	case at := <-cut:
		t.Fatalf("evil's listing was cut %s after it began, before the honest mail arrived", at.Sub(began))
	default:
	}

	// The trickled frame is cut once frameWait has passed.
	select {
	case at := <-cut:
		if d := at.Sub(began); d < frameWait(idle)-time.Second {
			t.Fatalf("evil's listing was cut %s after it began, before frameWait (%s)", d, frameWait(idle))
		} else {
			t.Logf("evil's listing was cut %s after it began", d.Round(time.Millisecond))
		}
	case <-time.After(2 * frameWait(idle)):
		t.Fatalf("evil's trickled listing was not cut within %s", 2*frameWait(idle))
	}
	// Exactly once: bob holds the mail once, mbox nothing more for him.
	waitInbox(t, bob, KindMail, 1, sent, time.Second)
	if n := mailboxHolds(t, mbox, bob); n != 0 {
		t.Fatalf("mbox still holds %d items for bob", n)
	}
}
