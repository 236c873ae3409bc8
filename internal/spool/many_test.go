package spool

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

// Mails queued while the recipient is down all arrive, once, after it
// comes up.
func TestManyMailsAfterRecipientReturns(t *testing.T) {
	// Not parallel: a throughput test with a deadline, it runs alone.
	alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
	group(alice, bob)
	alice.start()
	ctx := context.Background()
	n := 300
	if testing.Short() {
		n = 100
	}
	if v, err := strconv.Atoi(os.Getenv("SPOOL_MANY")); err == nil {
		n = v
	}
	for i := 0; i < n; i++ {
		if _, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 30*time.Second, func() error { // a few failed attempts
		var most int
		alice.db.QueryRow(`SELECT coalesce(max(attempts), 0) FROM spool_outbox`).Scan(&most)
		if most < 2 {
			return fmt.Errorf("%d attempts", most)
		}
		return nil
	})
	bob.start()
	start := time.Now()
	connect(t, bob, alice)
	testutil.Eventually(t, 30*time.Second, func() error {
		var c int
		alice.db.QueryRow(`SELECT count(*) FROM spool_outbox WHERE state='delivered'`).Scan(&c)
		if c != n {
			return fmt.Errorf("%d of %d delivered", c, n)
		}
		return nil
	})
	t.Logf("%d mails delivered in %v", n, time.Since(start))
	l, _ := bob.svc.Inbox(ctx, KindMail, false)
	seen := map[string]bool{}
	for _, it := range l {
		if seen[it.Subject] {
			t.Fatalf("duplicate %s", it.Subject)
		}
		seen[it.Subject] = true
	}
	if len(seen) != n {
		t.Fatalf("bob holds %d of %d", len(seen), n)
	}
}

// Many mails wait with a mailbox; the recipient takes them in batches.
func TestManyMailsThroughMailbox(t *testing.T) {
	// Not parallel: a throughput test with a deadline, it runs alone.
	alice, mbox, bob := withMailbox(t)
	ctx := context.Background()
	n := 200
	if v, err := strconv.Atoi(os.Getenv("SPOOL_MANY")); err == nil {
		n = v
	}
	for i := 0; i < n; i++ {
		if _, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 60*time.Second, func() error {
		var c int
		mbox.db.QueryRow(`SELECT count(*) FROM spool_mailbox`).Scan(&c)
		if c != n {
			return fmt.Errorf("mailbox holds %d of %d", c, n)
		}
		return nil
	})
	bob.start()
	start := time.Now()
	connect(t, bob, mbox)
	testutil.Eventually(t, 60*time.Second, func() error {
		l, _ := bob.svc.Inbox(ctx, KindMail, false)
		if len(l) != n {
			return fmt.Errorf("bob holds %d of %d", len(l), n)
		}
		return nil
	})
	t.Logf("%d mails taken from the mailbox in %v", n, time.Since(start))
	testutil.Eventually(t, 30*time.Second, func() error {
		var c int
		alice.db.QueryRow(`SELECT count(*) FROM spool_outbox WHERE state='delivered'`).Scan(&c)
		if c != n {
			return fmt.Errorf("%d of %d delivered", c, n)
		}
		return nil
	})
}
