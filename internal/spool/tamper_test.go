package spool

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/wire"
)

func testEnvelope(t *testing.T, signer crypto.PrivKey, from, to peer.ID, ct []byte) *Envelope {
	t.Helper()
	id, _ := newMessageID()
	sum := sha256.Sum256(ct)
	e := &Envelope{Version: EnvelopeVersion, ID: id, Sender: []byte(from), Recipient: []byte(to), Workgroup: testWG,
		Kind: KindMail, Created: time.Now().UnixMilli(), Size: uint64(len(ct)), Hash: sum[:]}
	if err := e.Sign(signer); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEnvelopeSignatureCoversEveryByte(t *testing.T) {
	t.Parallel()
	a, b := newTNode(t, "a"), newTNode(t, "b")
	e := testEnvelope(t, a.id.Key, a.id.PeerID, b.id.PeerID, []byte("ciphertext"))
	raw, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeEnvelope(raw)
	if err != nil || got.Verify() != nil {
		t.Fatalf("good envelope: %v", err)
	}
	for i := range raw {
		for _, bit := range []byte{0x01, 0x80} {
			bad := bytes.Clone(raw)
			bad[i] ^= bit
			d, err := DecodeEnvelope(bad)
			if err == nil && d.Verify() == nil {
				t.Fatalf("flipping bit %#x of byte %d still verifies", bit, i)
			}
		}
	}
	// Wrong signer: b signs an envelope that claims to come from a.
	forged := testEnvelope(t, b.id.Key, a.id.PeerID, b.id.PeerID, []byte("ciphertext"))
	if err := forged.Verify(); err == nil {
		t.Fatal("envelope signed by the wrong key verifies")
	}
	// A receipt is bound to its signer the same way.
	rb, err := newReceipt(b.id.Key, b.id.PeerID, e, StatusAccepted, "")
	if err != nil {
		t.Fatal(err)
	}
	r, err := DecodeReceipt(rb)
	if err != nil || r.Verify() != nil {
		t.Fatalf("receipt: %v", err)
	}
	r.Status = StatusRejected
	if r.Verify() == nil {
		t.Fatal("altered receipt verifies")
	}
}

// offer sends one raw offer over /peerhood/deliver/1 from n to p.
func offer(t *testing.T, n *tnode, p peer.ID, env *Envelope, ct []byte) deliverReply {
	t.Helper()
	rep, err := tryOffer(t, n, p, env, ct)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// tryOffer is offer that returns a failed read (a reset stream).
func tryOffer(t *testing.T, n *tnode, p peer.ID, env *Envelope, ct []byte) (deliverReply, error) {
	t.Helper()
	st, err := n.host.NewStream(context.Background(), p, p2p.ProtoDeliver)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eb, _ := env.Encode()
	r := wire.NewReader(st, 0)
	wire.WriteFrame(st, &deliverReq{Op: opOffer, Envelope: eb})
	var rep deliverReply
	if err := r.ReadFrame(&rep); err != nil {
		return rep, err
	}
	if rep.Err == nil && rep.Receipt == nil {
		st.Write(ct[rep.Offset:])
		rep = deliverReply{}
		if err := r.ReadFrame(&rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// noReceipt asserts an offer got no answer at all: the stream was reset.
func noReceipt(t *testing.T, n *tnode, p peer.ID, env *Envelope, ct []byte) {
	t.Helper()
	if rep, err := tryOffer(t, n, p, env, ct); err == nil {
		t.Fatalf("forged offer answered: %+v", rep)
	}
}

func rejected(t *testing.T, rep deliverReply, want string) {
	t.Helper()
	if rep.Receipt == nil {
		t.Fatalf("no receipt: %+v", rep)
	}
	r, err := DecodeReceipt(rep.Receipt)
	if err != nil || r.Verify() != nil {
		t.Fatalf("rejection receipt does not verify: %v", err)
	}
	if r.Status != StatusRejected || !strings.Contains(r.Reason, want) {
		t.Fatalf("receipt %s %q, want rejected with %q", r.Status, r.Reason, want)
	}
}

func TestDeliverRefusesForgedAndTampered(t *testing.T) {
	t.Parallel()
	alice, bob, mallory, carol := newTNode(t, "alice"), newTNode(t, "bob"), newTNode(t, "mallory"), newTNode(t, "carol")
	group(alice, bob, mallory, carol)
	bob.start()
	mallory.start()
	carol.start()
	connect(t, mallory, bob)
	connect(t, mallory, carol)
	ct := []byte("age-encryption.org/v1 not really")

	// Wrong signer: mallory signs as alice. No signed answer at all.
	noReceipt(t, mallory, bob.id.PeerID, testEnvelope(t, mallory.id.Key, alice.id.PeerID, bob.id.PeerID, ct), ct)
	// Alice's own envelope offered by mallory (a replay with other bytes).
	noReceipt(t, mallory, bob.id.PeerID, testEnvelope(t, alice.id.Key, alice.id.PeerID, bob.id.PeerID, ct), []byte("junk"))
	// Flipped ciphertext bytes: hash mismatch.
	good := testEnvelope(t, mallory.id.Key, mallory.id.PeerID, bob.id.PeerID, ct)
	flipped := bytes.Clone(ct)
	flipped[3] ^= 0xff
	rejected(t, offer(t, mallory, bob.id.PeerID, good, flipped), "tampered")
	// Replayed to someone else: an envelope for bob offered to carol.
	rejected(t, offer(t, mallory, carol.id.PeerID, good, ct), "addressed to")
	// Not age ciphertext for bob: refused at payload check.
	rejected(t, offer(t, mallory, bob.id.PeerID, good, ct), "payload")
	var n int
	bob.db.QueryRow(`SELECT count(*) FROM spool_inbox`).Scan(&n)
	if n != 0 {
		t.Fatalf("bob stored %d refused messages", n)
	}
}

// Bytes flipped on the mailbox: bob refuses the message and his signed
// rejection (relayed through the mailbox) marks alice's job failed.
func TestTamperedAtMailboxFailsSenderJob(t *testing.T) {
	t.Parallel()
	alice, mbox, bob := withMailbox(t)
	ctx := context.Background()
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, jobs[0].ID, StateDeposited)
	var held []byte
	mbox.db.QueryRow(`SELECT inline FROM spool_mailbox WHERE id=?`, jobs[0].ID).Scan(&held)
	held[len(held)/2] ^= 0x01
	if _, err := mbox.db.Exec(`UPDATE spool_mailbox SET inline=? WHERE id=?`, held, jobs[0].ID); err != nil {
		t.Fatal(err)
	}
	bob.start()
	connect(t, bob, mbox)
	j := waitState(t, alice, jobs[0].ID, StateFailed)
	if !strings.Contains(j.Error, "rejected by recipient") || !strings.Contains(j.Error, "tampered") {
		t.Fatalf("failure reason %q", j.Error)
	}
	if l, _ := bob.svc.Inbox(ctx, KindMail, false); len(l) != 0 {
		t.Fatalf("bob stored a tampered message: %+v", l)
	}
}

func TestRevokedLaterFailsJob(t *testing.T) {
	t.Parallel()
	alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
	group(alice, bob)
	alice.start() // bob never comes up; no mailbox
	ctx := context.Background()
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s"})
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, func() error {
		if j := jobState(t, alice, jobs[0].ID); j.Attempts < 1 || j.State != StateQueued || !strings.Contains(j.Error, "no mailbox") {
			return fmt.Errorf("job %+v", j)
		}
		return nil
	})
	alice.dir.Remove(bob.id.PeerID)
	j := waitState(t, alice, jobs[0].ID, StateFailed)
	if !strings.Contains(j.Error, "no longer a member") {
		t.Fatalf("reason %q", j.Error)
	}
	// Cancel and retry follow the state rules.
	if _, err := alice.svc.Retry(ctx, jobs[0].ID[:6]); err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, jobs[0].ID, StateFailed)
	if _, err := alice.svc.Cancel(ctx, jobs[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.svc.Cancel(ctx, jobs[0].ID); err == nil {
		t.Fatal("cancelled twice")
	}
}

// A mailbox without space refuses the deposit; the sender keeps the job
// queued and deposits once space is back.
func TestFullMailboxRefusesDeposit(t *testing.T) {
	t.Parallel()
	alice, mbox, bob := newTNode(t, "alice"), newTNode(t, "mbox", "mailbox"), newTNode(t, "bob")
	group(alice, mbox, bob)
	var free atomic.Uint64
	free.Store(1 << 20)
	mbox.mutate = func(c *Config) {
		c.MinFree = 8 << 20
		c.FreeSpace = func(string) (uint64, error) { return free.Load(), nil }
	}
	alice.start()
	mbox.start()
	connect(t, alice, mbox)
	ctx := context.Background()
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s"})
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, func() error {
		if j := jobState(t, alice, jobs[0].ID); j.State != StateQueued || !strings.Contains(j.Error, "mailbox is full") {
			return fmt.Errorf("job %+v", j)
		}
		return nil
	})
	free.Store(1 << 40)
	alice.svc.Retry(ctx, jobs[0].ID)
	waitState(t, alice, jobs[0].ID, StateDeposited)
}

// A spooled ciphertext corrupted on the recipient's disk after receipt is
// refused at accept time and leaves no partial files behind. (A mail's
// attachments stay ciphertext until accepted; plain file copies are
// staged decrypted, see stage_test.go.)
func TestAcceptRefusesCorruptedSpoolFile(t *testing.T) {
	t.Parallel()
	alice, bob := connectedPair(t)
	ctx := context.Background()
	big := make([]byte, 9<<20)
	p := writeFile(t, t.TempDir(), "f.bin", big)
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s", Paths: []string{p}})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, jobs[0].ID, StateDelivered)
	var hash string
	bob.db.QueryRow(`SELECT hash FROM spool_inbox WHERE id=?`, jobs[0].ID).Scan(&hash)
	sp := filepath.Join(bob.home, "spool", hash)
	ct, _ := os.ReadFile(sp)
	ct[len(ct)/3] ^= 0x40
	os.WriteFile(sp, ct, 0o600)
	dest := t.TempDir()
	if _, err := bob.svc.Accept(ctx, jobs[0].ID, dest); err == nil {
		t.Fatal("accepted a corrupted ciphertext")
	}
	if left, _ := os.ReadDir(dest); len(left) != 0 {
		t.Fatalf("partial files left: %v", left)
	}
}

// A job that cannot be delivered for long is shown as stuck, not dropped.
func TestUndeliverableJobShowsStuck(t *testing.T) {
	t.Parallel()
	alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
	group(alice, bob)
	alice.mutate = func(c *Config) { c.StuckAfter = 200 * time.Millisecond }
	alice.start()
	jobs, err := alice.svc.Send(context.Background(), SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s"})
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, func() error {
		j := jobState(t, alice, jobs[0].ID)
		if j.State != StateStuck || j.Error == "" || j.NextTry.IsZero() {
			return fmt.Errorf("job %+v", j)
		}
		return nil
	})
}
