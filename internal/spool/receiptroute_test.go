package spool

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/testutil"
)

// silentAddr is a loopback TCP address that accepts connections and
// never answers (an address a member no longer has, behind a NAT that
// drops what comes: a dial of it hangs until libp2p gives up, 5 s).
func silentAddr(t *testing.T) ma.Multiaddr {
	t.Helper()
	ln := testutil.ServeTCP(t, nil)
	return ma.StringCast(fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", ln.Addr().(*net.TCPAddr).Port))
}

// The NAT lab's returning sender (records/2026-12-01-s16-receipts.md):
// alice deposits mail for bob (offline) with mbox and goes offline too;
// bob comes back and fetches it; alice comes back, connected to mbox
// only. bob knows an old address of alice's that does not answer. Her
// job must turn delivered promptly: the fetch interval and the retries
// are an hour, so only the receipt waiting at mbox when she connects (her
// fetch on connecting) or mbox's notify can do it. Before, bob's worker
// dialled alice's old address first and deposited the receipt only when
// the dial gave up (5 s here; DialTimeout, 5 s, in the lab), so alice's
// job turned delivered ~5 s after her return.
func TestReturningSenderGetsReceiptFromMailbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alice, mbox, bob := newTNode(t, "alice"), newTNode(t, "mbox", "mailbox"), newTNode(t, "bob")
	group(alice, mbox, bob)
	alice.mutate = slowTimers
	bob.mutate = func(c *Config) {
		slowTimers(c)
		c.DialTimeout = time.Minute // libp2p's own 5 s ends the dial of a silent loopback address
	}
	mbox.start()
	alice.start()
	connect(t, alice, mbox)
	js, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s", Body: "while you were away"})
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, alice, js[0].ID, StateDeposited, 15*time.Second)
	alice.stop()

	bob.startHost()
	bob.host.Peerstore().AddAddr(alice.id.PeerID, silentAddr(t), time.Hour)
	bob.startService()
	connect(t, bob, mbox)
	waitInbox(t, bob, KindMail, 1, time.Now(), 15*time.Second)

	alice.start()
	connect(t, alice, mbox)
	back := time.Now()
	waitJob(t, alice, js[0].ID, StateDelivered, 3*time.Second)
	t.Logf("alice's job delivered %s after she connected to mbox", time.Since(back).Round(time.Millisecond))
	if items, err := bob.svc.Inbox(ctx, KindMail, false); err != nil || len(items) != 1 {
		t.Fatalf("bob's inbox: %d items, err %v; want the mail once", len(items), err)
	}
}
