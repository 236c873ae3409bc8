package spool

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/p2p/p2ptest"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/wire"
)

// notifyBound is how long a test lets a message deposited with a mailbox
// take to reach its recipient connected to that mailbox. The fetch
// interval and the retries are an hour: only the mailbox's notify (or a
// connection) can bring it within the bound. With the notify it takes
// milliseconds; the bound is generous for a loaded 2-core machine.
const notifyBound = 5 * time.Second

// slowTimers makes a node fetch and retry only after an hour: what
// arrives within a test's bound came by news (a notify, a connection).
func slowTimers(c *Config) {
	c.RetryBase, c.RetryCap, c.FetchInterval = time.Hour, time.Hour, time.Hour
}

// mailboxTriangle starts alice, mbox (a mailbox member) and bob, alice and
// bob each connected to mbox only: alice knows no address of bob's, nor
// bob of alice's (a NAT between them), so what alice sends bob goes
// through mbox and bob's receipt comes back through it. It returns once
// bob's fetch on connecting to mbox is done (found nothing). more
// changes alice's configuration after slowTimers.
func mailboxTriangle(t *testing.T, more ...func(*Config)) (alice, mbox, bob *tnode) {
	t.Helper()
	alice, mbox, bob = newTNode(t, "alice"), newTNode(t, "mbox", "mailbox"), newTNode(t, "bob")
	group(alice, mbox, bob)
	alice.mutate = func(c *Config) {
		slowTimers(c)
		for _, f := range more {
			f(c)
		}
	}
	bob.mutate = slowTimers
	mbox.start()
	alice.start()
	bob.start()
	connect(t, alice, mbox)
	connect(t, bob, mbox)
	waitFetched(t, bob, 1)
	return alice, mbox, bob
}

// waitFetched waits until n has made at least want fetches.
func waitFetched(t *testing.T, n *tnode, want int64) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, func() error {
		if got := n.svc.fetches.Load(); got < want {
			return fmt.Errorf("%s made %d fetches, want %d", n.name, got, want)
		}
		return nil
	})
}

// waitInbox waits (up to bound) until n's inbox holds want items of kind
// and returns how long it took from since.
func waitInbox(t *testing.T, n *tnode, kind string, want int, since time.Time, bound time.Duration) time.Duration {
	t.Helper()
	testutil.Eventually(t, bound, func() error {
		items, err := n.svc.Inbox(context.Background(), kind, false)
		if err != nil {
			return err
		}
		if len(items) != want {
			return fmt.Errorf("%s's inbox holds %d items, want %d", n.name, len(items), want)
		}
		return nil
	})
	return time.Since(since)
}

// waitJob waits (up to bound) until alice's job is in state want.
func waitJob(t *testing.T, n *tnode, id, want string, bound time.Duration) {
	t.Helper()
	testutil.Eventually(t, bound, func() error {
		if j := jobState(t, n, id); j.State != want {
			return fmt.Errorf("job %s is %s (route %q, attempts %d, err %q), want %s", j.ID, j.State, j.Route, j.Attempts, j.Error, want)
		}
		return nil
	})
}

// A message deposited with a mailbox for a recipient connected to that
// mailbox reaches it at once: the mailbox tells the recipient (notify),
// which fetches. Before, bob learned of it at his next fetch
// (FetchInterval, 30 s by default; an hour here) or alice's direct retry
// (RetryCap). The receipt comes back the same way: bob cannot reach
// alice either, deposits it with mbox, and mbox tells alice.
func TestDepositNotifiesConnectedRecipient(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{KindMail, KindChat} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			alice, mbox, bob := mailboxTriangle(t)
			chats := make(chan time.Time, 1)
			bob.svc.OnChat(func(context.Context, string, peer.ID, []byte) error {
				chats <- time.Now()
				return nil
			})
			sent := time.Now()
			var id string
			if kind == KindChat {
				if err := alice.svc.SendChat(ctx, testWG, bob.id.PeerID, []byte("hello through the mailbox")); err != nil {
					t.Fatal(err)
				}
				select {
				case at := <-chats:
					t.Logf("chat item reached bob %s after it was queued", at.Sub(sent).Round(time.Millisecond))
				case <-time.After(notifyBound):
					t.Fatalf("the chat item did not reach bob within %s (mailbox holds %d for him)", notifyBound, mailboxHolds(t, mbox, bob))
				}
				id = outboxJobs(t, alice)[0]
			} else {
				js, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s", Body: "through the mailbox"})
				if err != nil {
					t.Fatal(err)
				}
				id = js[0].ID
				d := waitInbox(t, bob, KindMail, 1, sent, notifyBound)
				t.Logf("mail reached bob %s after it was queued", d.Round(time.Millisecond))
			}
			waitJob(t, alice, id, StateDelivered, notifyBound)
			t.Logf("alice's job delivered %s after it was queued", time.Since(sent).Round(time.Millisecond))
			if j := jobState(t, alice, id); j.Route != "mailbox:mbox" {
				t.Errorf("job went by %q, want mailbox:mbox", j.Route)
			}
			testutil.Eventually(t, notifyBound, func() error {
				if n := mailboxHolds(t, mbox, bob); n != 0 {
					return fmt.Errorf("mbox still holds %d messages for bob", n)
				}
				return nil
			})
		})
	}
}

// outboxJobs lists n's job IDs.
func outboxJobs(t *testing.T, n *tnode) []string {
	t.Helper()
	var ids []string
	testutil.Eventually(t, 10*time.Second, func() error {
		rows, err := n.db.Query(`SELECT id FROM spool_outbox`)
		if err != nil {
			return err
		}
		defer rows.Close()
		ids = nil
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if len(ids) == 0 {
			return fmt.Errorf("%s has no job", n.name)
		}
		return rows.Err()
	})
	return ids
}

// A recipient that was away when the message was deposited gets it as
// soon as it is connected to the mailbox again, whichever side dials:
// a connection with a mailbox member is a fetch (peerUp). This held
// before the notify too; the test keeps it.
func TestRecipientBackFetchesAtOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		mboxDial bool // the mailbox dials bob (else bob dials it)
	}{{"bob dials", false}, {"mailbox dials", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			alice, mbox, bob := mailboxTriangle(t)
			bob.stop()
			js, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s", Body: "while away"})
			if err != nil {
				t.Fatal(err)
			}
			waitJob(t, alice, js[0].ID, StateDeposited, 10*time.Second)
			bob.start()
			if tc.mboxDial {
				connect(t, mbox, bob)
			} else {
				connect(t, bob, mbox)
			}
			d := waitInbox(t, bob, KindMail, 1, time.Now(), notifyBound)
			t.Logf("mail reached bob %s after he connected to the mailbox", d.Round(time.Millisecond))
			waitJob(t, alice, js[0].ID, StateDelivered, notifyBound)
		})
	}
}

// notifyFrom sends n notify requests on one /peerhood/mailbox/1 stream
// from host h to p and returns the replies (an error when the stream
// breaks).
func notifyFrom(ctx context.Context, h *p2p.Host, p peer.ID, n int) ([]mailboxReply, error) {
	st, err := h.NewStream(ctx, p, p2p.ProtoMailbox)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	r := wire.NewReader(st, maxControlFrame)
	var out []mailboxReply
	for range n {
		rep, err := ask[mailboxReply](st, r, &mailboxReq{Op: opNotify})
		if err != nil {
			return out, err
		}
		out = append(out, rep)
	}
	return out, nil
}

// Notifies are hints only a mailbox member may give, and a mailbox that
// gives many makes its member fetch at most once per notifyGap: a
// member without the mailbox role is refused (no fetch), a non-member's
// stream is reset before a byte is read, and a burst of notifies from
// the mailbox ends in a bounded number of fetches.
func TestNotifyOnlyFromMailboxAndRateLimited(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alice, mbox, bob := mailboxTriangle(t)
	connect(t, alice, bob)
	before := bob.svc.fetches.Load()

	reps, err := notifyFrom(ctx, alice.host, bob.id.PeerID, 50)
	if err != nil {
		t.Fatalf("alice's notifies: %v", err)
	}
	for i, rep := range reps {
		if rep.Err == nil || rep.Err.Code != wire.CodeForbidden {
			t.Fatalf("alice's notify %d answered %+v, want forbidden", i, rep)
		}
	}
	bob.svc.mu.Lock()
	hinted := len(bob.svc.hints)
	bob.svc.mu.Unlock()
	if hinted != 0 {
		t.Fatalf("a member without the mailbox role made bob fetch (%d hints)", hinted)
	}

	outsider := p2ptest.New(t, nil, p2ptest.WithLog(quietLog))
	outsider.Peerstore().AddAddrs(bob.id.PeerID, bob.host.Host.Addrs(), time.Hour)
	if reps, err := notifyFrom(ctx, outsider, bob.id.PeerID, 1); err == nil {
		t.Fatalf("a non-member's notify was answered: %+v", reps)
	}

	start := time.Now()
	reps, err = notifyFrom(ctx, mbox.host, bob.id.PeerID, 200)
	if err != nil {
		t.Fatalf("mbox's notifies: %v", err)
	}
	for i, rep := range reps {
		if rep.Err != nil {
			t.Fatalf("mbox's notify %d answered %v", i, rep.Err)
		}
	}
	waitFetched(t, bob, before+1) // the hint works
	elapsed := time.Since(start)
	got := bob.svc.fetches.Load() - before
	// Fetches on notify start at least notifyGap apart (one more for
	// a fetch a connection asked for, should one come late).
	if limit := 2 + int64(elapsed/notifyGap); got > limit {
		t.Fatalf("200 notifies in %s made bob fetch %d times, want at most %d", elapsed.Round(time.Millisecond), got, limit)
	}
	t.Logf("200 notifies from the mailbox in %s: %d fetches", elapsed.Round(time.Millisecond), got)
}

// A notify that comes within notifyGap of the fetch the last one asked
// for is not lost: the second message, deposited just after bob fetched
// the first, comes with the fetch at the end of the gap.
func TestNotifyWithinGapFetchesAfterIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// alice's second attempt to reach bob directly comes soon (the
	// first failure leaves bob alone for RetryBase): its deposit is
	// within the gap of bob's fetch of the first.
	alice, _, bob := mailboxTriangle(t, func(c *Config) { c.RetryBase = 50 * time.Millisecond })
	for i := range 2 {
		sent := time.Now()
		if _, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s", Body: fmt.Sprint("message ", i)}); err != nil {
			t.Fatal(err)
		}
		d := waitInbox(t, bob, KindMail, i+1, sent, notifyBound)
		t.Logf("message %d reached bob %s after it was queued", i, d.Round(time.Millisecond))
	}
}

// A member back from away that connects to the sender but cannot reach
// the mailbox holding its message (here the mailbox is down) gets a
// small message directly at once: the connection makes the sender's
// small deposited jobs due (dueNow). Before, it waited for the sender's
// retry (RetryCap, 5 min; an hour here). The mailbox's copy, fetched
// later, is acknowledged and not stored again.
func TestRecipientBackToSenderGetsDepositedAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alice, mbox, bob := mailboxTriangle(t)
	bob.stop()
	js, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s", Body: "while away"})
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, alice, js[0].ID, StateDeposited, 10*time.Second)
	mbox.stop()
	bob.start()
	connect(t, bob, alice)
	d := waitInbox(t, bob, KindMail, 1, time.Now(), notifyBound)
	t.Logf("mail reached bob %s after he connected to alice", d.Round(time.Millisecond))
	waitJob(t, alice, js[0].ID, StateDelivered, notifyBound)

	mbox.start()
	connect(t, bob, mbox) // bob fetches the mailbox's copy: acknowledged
	testutil.Eventually(t, 10*time.Second, func() error {
		if n := mailboxHolds(t, mbox, bob); n != 0 {
			return fmt.Errorf("mbox still holds %d messages for bob", n)
		}
		return nil
	})
	waitInbox(t, bob, KindMail, 1, time.Now(), time.Second)
}
