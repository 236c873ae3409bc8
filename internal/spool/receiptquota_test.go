package spool

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/wire"
)

// signedReceipt is a receipt signed by from for a message (random ID)
// that to sent it.
func signedReceipt(t *testing.T, from, to *tnode) []byte {
	t.Helper()
	env := testEnvelope(t, to.id.Key, to.id.PeerID, from.id.PeerID, []byte("ciphertext"))
	b, err := newReceipt(from.id.Key, from.id.PeerID, env, StatusAccepted, "")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// heldReceipts counts the receipts a mailbox holds signed by from for to.
func heldReceipts(t *testing.T, mbox, from, to *tnode) int {
	t.Helper()
	var n int
	if err := mbox.db.QueryRow(`SELECT count(*) FROM spool_mailbox WHERE item=? AND sender=? AND recipient=?`,
		itemReceipt, from.id.PeerID.String(), to.id.PeerID.String()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// One member deposits receipts for bob (who never fetches) in a loop,
// 2,000 requests: the mailbox keeps its receipt quota (50 here) and
// refuses the rest with over_quota naming the limit; another member's
// receipt and message still go in.
func TestMailboxReceiptQuotaRefusesFlood(t *testing.T) {
	t.Parallel()
	alice, mbox, bob, mallory := newTNode(t, "alice"), newTNode(t, "mbox", "mailbox"), newTNode(t, "bob"), newTNode(t, "mallory")
	group(alice, mbox, bob, mallory)
	const quota, batch, requests = 50, 10, 2000
	mbox.mutate = func(c *Config) { c.ReceiptMaxCount = quota }
	for _, n := range []*tnode{alice, mbox, mallory} {
		n.start()
	}
	connect(t, alice, mbox)
	connect(t, mallory, mbox)
	ctx := context.Background()
	st, err := mallory.host.NewStream(ctx, mbox.id.PeerID, p2p.ProtoMailbox)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := wire.NewReader(st, maxListFrame)
	// Distinct receipts past the quota, then sent again and again.
	pool := make([][]byte, quota+100)
	for i := range pool {
		pool[i] = signedReceipt(t, mallory, bob)
	}
	t.Logf("a receipt is %d bytes", len(pool[0]))
	kept, over := 0, 0
	var quotaMsg string
	for i := 0; i < requests; i++ {
		req := mailboxReq{Op: opDepositReceipt}
		for j := range batch {
			req.Receipts = append(req.Receipts, pool[(i*batch+j)%len(pool)])
		}
		rep, err := ask[mailboxReply](st, r, &req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		switch {
		case rep.Err == nil:
			kept += batch
		case rep.Err.Code == codeQuota:
			over++
			quotaMsg = rep.Err.Message
		default:
			t.Fatalf("request %d refused: %v", i, rep.Err)
		}
	}
	if n := heldReceipts(t, mbox, mallory, bob); n != quota || kept != quota || over != requests-quota/batch {
		t.Fatalf("mailbox holds %d receipts from mallory, %d accepted, %d requests refused over quota; want %d held",
			n, kept, over, quota)
	}
	if !strings.Contains(quotaMsg, "over quota") || !strings.Contains(quotaMsg, fmt.Sprint(quota)+" receipts") {
		t.Fatalf("quota error %q does not say what limit", quotaMsg)
	}
	// alice, another member, still leaves a receipt (through the client
	// the scheduler uses) and a message.
	if err := alice.svc.depositReceipts(ctx, mbox.id.PeerID, [][]byte{signedReceipt(t, alice, bob)}); err != nil {
		t.Fatalf("alice's receipt: %v", err)
	}
	if n := heldReceipts(t, mbox, alice, bob); n != 1 {
		t.Fatalf("mailbox holds %d receipts from alice", n)
	}
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "still gets through"})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, jobs[0].ID, StateDeposited)
}

// bob's receipt for alice's message is refused by the mailbox (bob is at
// his receipt quota there: receipts for carol, who has not fetched yet).
// bob keeps it and retries; once carol fetches hers, it is deposited and
// reaches alice, who cannot reach bob directly: her job is delivered, and
// no copy is left at bob or the mailbox.
func TestRefusedReceiptReachesSenderLater(t *testing.T) {
	t.Parallel()
	alice, mbox, bob := newTNode(t, "alice"), newTNode(t, "mbox", "mailbox"), newTNode(t, "bob")
	carol := newTNode(t, "carol")
	group(alice, mbox, bob, carol)
	const quota = 3
	mbox.mutate = func(c *Config) { c.ReceiptMaxCount = quota }
	alice.start()
	mbox.start()
	connect(t, alice, mbox)
	ctx := context.Background()
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "answer me"})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, jobs[0].ID, StateDeposited)
	// What bob deposited before, while carol was away.
	for range quota {
		rb := signedReceipt(t, bob, carol)
		rec, _ := DecodeReceipt(rb)
		if _, err := mbox.db.Exec(`INSERT INTO spool_mailbox(recipient, item, id, sender, blob, received) VALUES(?,?,?,?,?,?)`,
			carol.id.PeerID.String(), itemReceipt, rec.IDString(), bob.id.PeerID.String(), rb, nowMs()); err != nil {
			t.Fatal(err)
		}
	}

	bob.start()
	connect(t, bob, mbox)
	// bob fetches the message; his receipt finds alice unreachable and the
	// mailbox full of his receipts: he keeps it and tries again later.
	testutil.Eventually(t, 10*time.Second, func() error {
		var n, attempts int
		bob.db.QueryRow(`SELECT count(*), COALESCE(max(attempts),0) FROM spool_receipts_out WHERE to_peer=?`, alice.id.PeerID.String()).Scan(&n, &attempts)
		if n != 1 || attempts < 1 {
			return fmt.Errorf("bob holds %d receipts for alice, %d attempts", n, attempts)
		}
		return nil
	})
	if n := heldReceipts(t, mbox, bob, alice); n != 0 {
		t.Fatalf("mailbox took bob's receipt for alice past his quota (%d held)", n)
	}
	if j := jobState(t, alice, jobs[0].ID); j.State != StateDeposited {
		t.Fatalf("alice's job %s before the receipt could reach her", j.State)
	}

	// carol fetches (and drops: they answer nothing of hers) bob's old
	// receipts; bob's retry now goes in and reaches alice.
	carol.start()
	connect(t, carol, mbox)
	waitState(t, alice, jobs[0].ID, StateDelivered)
	testutil.Eventually(t, 10*time.Second, func() error {
		var out, held int
		bob.db.QueryRow(`SELECT count(*) FROM spool_receipts_out`).Scan(&out)
		mbox.db.QueryRow(`SELECT count(*) FROM spool_mailbox`).Scan(&held)
		if out != 0 || held != 0 {
			return fmt.Errorf("bob still holds %d receipts to send, the mailbox %d items", out, held)
		}
		return nil
	})
	if ml, _ := bob.svc.Inbox(ctx, KindMail, false); len(ml) != 1 {
		t.Fatalf("bob's inbox holds %d mails", len(ml))
	}
}

// Receipts held for an addressee that never fetches are removed as its
// messages are: when the signer (or the addressee) is revoked, the
// mailbox drops them; another signer's receipts for it stay.
func TestMailboxDropsReceiptsOfRevokedSigner(t *testing.T) {
	t.Parallel()
	alice, mbox, bob, carol := newTNode(t, "alice"), newTNode(t, "mbox", "mailbox"), newTNode(t, "bob"), newTNode(t, "carol")
	group(alice, mbox, bob, carol)
	for _, n := range []*tnode{mbox, bob, carol} {
		n.start()
	}
	connect(t, bob, mbox)
	connect(t, carol, mbox)
	ctx := context.Background()
	if err := bob.svc.depositReceipts(ctx, mbox.id.PeerID, [][]byte{signedReceipt(t, bob, alice), signedReceipt(t, bob, alice)}); err != nil {
		t.Fatal(err)
	}
	if err := carol.svc.depositReceipts(ctx, mbox.id.PeerID, [][]byte{signedReceipt(t, carol, alice)}); err != nil {
		t.Fatal(err)
	}
	if n := heldReceipts(t, mbox, bob, alice); n != 2 {
		t.Fatalf("mailbox holds %d receipts from bob", n)
	}
	mbox.dir.Remove(bob.id.PeerID)
	testutil.Eventually(t, 10*time.Second, func() error {
		if n := heldReceipts(t, mbox, bob, alice); n != 0 {
			return fmt.Errorf("mailbox still holds %d receipts from revoked bob", n)
		}
		return nil
	})
	if n := heldReceipts(t, mbox, carol, alice); n != 1 {
		t.Fatalf("mailbox holds %d receipts from carol, want 1", n)
	}
}
