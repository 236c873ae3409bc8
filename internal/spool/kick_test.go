package spool

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/testutil"
)

// A member that comes back while the sender's worker is failing to
// reach it gets its message at once, not after the retry delay the
// failing attempt sets: alice's attempt to bob (stopped) fails, and at
// a point of that failure (held there by a hook) bob starts again and
// connects to alice. Before the kick (kick.go) onConnected's "due now"
// was lost: the loop skipped bob while the worker ran, and the worker
// then set the job's backoff (an hour here) and bob's unreachable mark,
// or handed the job to a mailbox that bob was not asking; the message
// waited for the retry (in peerhood up to 5 min) or bob's next mailbox
// fetch (30 s).
func TestReconnectDuringFailingAttemptDeliversNow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		at      hookPoint // where alice's worker is when bob connects
		mailbox bool      // a mailbox member alice is connected to
		deposit bool      // the mailbox took the message too
	}{
		{"attempt failed, no mailbox", atFailed, false, false},
		{"attempt failed, mailbox", atFailed, true, false}, // no deposit: bob is here
		{"failure recorded, no mailbox", atMailboxed, false, false},
		{"deposited meanwhile", atMailboxed, true, true}, // and delivered directly
		// After its last look the worker ends; the kick it leaves behind
		// wakes the loop for bob. (A job deposited by then goes to
		// bob directly when he connects if small: dueNow.)
		{"after the last look, no mailbox", atLastLook, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reconnectDuringFailingAttempt(t, tc.at, tc.mailbox, tc.deposit)
		})
	}
}

func reconnectDuringFailingAttempt(t *testing.T, at hookPoint, withMbox, deposit bool) {
	ctx := context.Background()
	alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
	nodes := []*tnode{alice, bob}
	var mbox *tnode
	if withMbox {
		mbox = newTNode(t, "mbox", "mailbox")
		nodes = append(nodes, mbox)
	}
	group(nodes...)
	failing := make(chan struct{}) // alice's attempt to bob is at the point
	goOn := make(chan struct{})    // the test lets alice go on
	var held atomic.Bool
	due := make(chan struct{}, 16)     // alice's onConnected made bob's work due
	var conns atomic.Int64             // how often
	skipped := make(chan struct{}, 16) // alice's loop skipped bob (busy) after bob came back
	alice.mutate = func(c *Config) {
		c.RetryBase, c.RetryCap = time.Hour, time.Hour // a retry never comes within the test
		// Nor a tick's scan: only a wake (a job queued, a connection, a
		// kick) makes the loop look.
		c.Tick = time.Hour
		c.workerAt = func(p peer.ID, h hookPoint) {
			switch {
			case p != bob.id.PeerID:
			case h == atConnected:
				conns.Add(1)
				due <- struct{}{}
			case h == atBusy && conns.Load() > 1:
				select {
				case skipped <- struct{}{}:
				default:
				}
			case h == at && held.CompareAndSwap(false, true):
				close(failing)
				<-goOn
			}
		}
	}
	alice.start()
	if mbox != nil {
		mbox.start()
		connect(t, alice, mbox)
	}
	bob.start()
	connect(t, alice, bob) // alice knows bob's address
	<-due
	bob.stop()
	testutil.Eventually(t, 10*time.Second, func() error {
		if c := alice.host.Network().Connectedness(bob.id.PeerID); c == network.Connected {
			return fmt.Errorf("alice still connected to bob")
		}
		return nil
	})

	js, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s", Body: "while away"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-failing:
	case <-time.After(15 * time.Second):
		close(goOn)
		t.Fatal("alice's attempt to bob did not fail")
	}
	bob.start()
	connect(t, bob, alice) // bob comes back while alice's attempt is failing
	select {
	case <-due:
	case <-time.After(15 * time.Second):
		close(goOn)
		t.Fatal("alice never saw bob connect")
	}
	if !deposit { // bob's job is due: the loop wakes for it, and finds alice's worker busy with bob
		select {
		case <-skipped:
		case <-time.After(15 * time.Second):
			close(goOn)
			t.Fatal("alice's loop never looked at bob after bob came back")
		}
	}
	released := time.Now()
	close(goOn)

	// The retry delay is an hour: delivered within seconds means the
	// reconnection, not a retry, released the job.
	testutil.Eventually(t, 10*time.Second, func() error {
		j := jobState(t, alice, js[0].ID)
		if j.State != StateDelivered {
			return fmt.Errorf("job %s is %s (route %q, attempts %d, next try in %s, err %q), want delivered",
				j.ID, j.State, j.Route, j.Attempts, time.Until(j.NextTry).Round(time.Second), j.Error)
		}
		return nil
	})
	t.Logf("delivered %s after bob came back", time.Since(released).Round(time.Millisecond))
	if j := jobState(t, alice, js[0].ID); j.Route != "direct" {
		t.Errorf("job delivered by %q, want direct", j.Route)
	}
	kept := 0
	if mbox != nil {
		kept = mailboxHolds(t, mbox, bob)
	}
	if want := map[bool]int{true: 1, false: 0}[deposit]; kept != want {
		t.Errorf("the mailbox holds %d messages for bob, want %d", kept, want)
	}
	if kept > 0 {
		// bob fetches the mailbox's copy: acknowledged (it holds the
		// message), not stored a second time.
		connect(t, bob, mbox)
		bob.svc.FetchNow(ctx)
		testutil.Eventually(t, 10*time.Second, func() error {
			if n := mailboxHolds(t, mbox, bob); n != 0 {
				return fmt.Errorf("the mailbox still holds %d messages for bob", n)
			}
			return nil
		})
	}
	items, err := bob.svc.Inbox(ctx, KindMail, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 {
		t.Fatalf("bob's inbox holds %d items, want 1", len(items))
	}
}

func mailboxHolds(t *testing.T, mbox, recipient *tnode) int {
	t.Helper()
	var n int
	if err := mbox.db.QueryRow(`SELECT count(*) FROM spool_mailbox WHERE recipient=? AND item='message'`, recipient.id.PeerID.String()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A member whose node connects before its spool serves (a node starting:
// its host and discovery come up before the spool registers
// /peerhood/deliver/1) makes the sender's attempt fail although it is
// connected ("protocols not supported"): the sender backs off (an hour
// here). When the member's spool starts, identify tells the sender that
// it now speaks the deliver protocol, and the job goes at once.
func TestRecipientSpoolStartingAfterConnectDeliversNow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
	group(alice, bob)
	alice.mutate = func(c *Config) { c.RetryBase, c.RetryCap, c.Tick = time.Hour, time.Hour, time.Hour }
	alice.start()
	bob.startHost()
	connect(t, bob, alice)
	js, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s", Body: "while starting"})
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		if j := jobState(t, alice, js[0].ID); j.Attempts < 1 {
			return fmt.Errorf("job %s: no attempt yet", j.ID)
		}
		return nil
	})
	t.Logf("first attempt: %q", jobState(t, alice, js[0].ID).Error)
	started := time.Now()
	bob.startService()
	testutil.Eventually(t, 10*time.Second, func() error {
		j := jobState(t, alice, js[0].ID)
		if j.State != StateDelivered {
			return fmt.Errorf("job %s is %s (attempts %d, next try in %s, err %q), want delivered",
				j.ID, j.State, j.Attempts, time.Until(j.NextTry).Round(time.Second), j.Error)
		}
		return nil
	})
	t.Logf("delivered %s after bob's spool started", time.Since(started).Round(time.Millisecond))
}

// A member that connects while the sender is still dialling its old
// address (one that answers nothing: a NAT that dropped the mapping, a
// node gone from that address) gets its message at once: the dial does
// not hold the job until it times out. Here alice knows only a silent
// address for bob (a listener that never speaks); her worker dials it,
// then bob connects to her. libp2p's dial returns only when its own
// addresses are done (then it hands back bob's connection), so before
// the fix the job waited for the dial to give up (5 s for a loopback
// address here; up to DialTimeout, 5 s, in peerhood, plus the backoff
// when the timeout ended the dial: the NAT lab's 7.6 s).
func TestConnectDuringHangingDialDeliversNow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
	group(alice, bob)
	alice.mutate = func(c *Config) {
		c.RetryBase, c.RetryCap, c.Tick, c.DialTimeout = time.Hour, time.Hour, time.Hour, time.Minute
	}
	alice.start()
	dialled := make(chan struct{})
	var once sync.Once
	ln := testutil.ServeTCP(t, func(net.Conn) { once.Do(func() { close(dialled) }) }) // held open, silent
	silent := ma.StringCast(fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", ln.Addr().(*net.TCPAddr).Port))
	alice.host.Peerstore().AddAddr(bob.id.PeerID, silent, time.Hour)

	js, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s", Body: "while dialling"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-dialled:
	case <-time.After(15 * time.Second):
		t.Fatal("alice never dialled bob's old address")
	}
	bob.start()
	connect(t, bob, alice)
	connected := time.Now()
	// libp2p gives up on a silent loopback address after 5 s: well
	// within 3 s means bob's connection, not the dial's end, let it go.
	testutil.Eventually(t, 3*time.Second, func() error {
		j := jobState(t, alice, js[0].ID)
		if j.State != StateDelivered {
			return fmt.Errorf("job %s is %s (attempts %d, err %q), want delivered", j.ID, j.State, j.Attempts, j.Error)
		}
		return nil
	})
	t.Logf("delivered %s after bob connected", time.Since(connected).Round(time.Millisecond))
}
