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

// hostileMessage is mallory's own mail to bob (sealed by the package's
// own code) under message ID id, signed by mallory: a real message, only
// its ID is another's.
func hostileMessage(t *testing.T, mallory, bob *tnode, id []byte, subject string) (*Envelope, []byte) {
	t.Helper()
	sj, err := mallory.svc.seal(testWG, bob.member(), PayloadHeader{Kind: KindMail, Subject: subject}, nil, subject, nil)
	if err != nil {
		t.Fatal(err)
	}
	env, err := DecodeEnvelope(sj.args[6].([]byte))
	if err != nil {
		t.Fatal(err)
	}
	env.ID = id
	if err := env.Sign(mallory.id.Key); err != nil {
		t.Fatal(err)
	}
	return env, sj.args[9].([]byte)
}

// A mailbox member learns the ID of alice's message to bob (it holds the
// deposit) and delivers its own message to bob under that ID first. The
// inbox keys messages by (sender, ID): alice's message is still stored
// and read, her job is delivered by a receipt naming her and her
// ciphertext, and mallory's receipt settles nothing of alice's.
func TestSquattedMessageIDStillDelivered(t *testing.T) {
	t.Parallel()
	alice, mallory, bob := newTNode(t, "alice"), newTNode(t, "mallory", "mailbox"), newTNode(t, "bob")
	group(alice, mallory, bob)
	plain := mallory.member()
	plain.Roles = nil
	bob.dir.Remove(mallory.id.PeerID)
	bob.dir.Add(plain) // bob does not fetch from mallory: the squat comes first
	alice.start()
	mallory.start()
	connect(t, alice, mallory)
	ctx := context.Background()
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "the real mail", Body: "from alice"})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, jobs[0].ID, StateDeposited)
	var blob []byte
	if err := mallory.db.QueryRow(`SELECT blob FROM spool_mailbox WHERE id=?`, jobs[0].ID).Scan(&blob); err != nil {
		t.Fatal(err)
	}
	seen, _ := DecodeEnvelope(blob) // what the mailbox sees: the ID

	bob.start()
	connect(t, mallory, bob)
	env, ct := hostileMessage(t, mallory, bob, seen.ID, "squatter")
	rep := offer(t, mallory, bob.id.PeerID, env, ct)
	if rep.Receipt == nil {
		t.Fatalf("squatter's own message refused: %+v", rep.Err)
	}
	// mallory hands bob's receipt for its message to alice as well.
	st, err := mallory.host.NewStream(ctx, alice.id.PeerID, "/peerhood/deliver/1")
	if err != nil {
		t.Fatal(err)
	}
	var rrep deliverReply
	if rrep, err = ask[deliverReply](st, wire.NewReader(st, 0), &deliverReq{Op: opReceipt, Receipt: rep.Receipt}); err != nil || rrep.Err == nil {
		t.Fatalf("alice took a receipt addressed to mallory: %v %+v", err, rrep)
	}
	st.Close()
	if j := jobState(t, alice, jobs[0].ID); j.State != StateDeposited {
		t.Fatalf("mallory's receipt settled alice's job: %s", j.State)
	}

	connect(t, alice, bob)
	// bob's connection may deliver it already (a small message a mailbox
	// holds is offered again when its recipient connects: kick.go); a
	// retry asked after that is refused as delivered.
	if _, err := alice.svc.Retry(ctx, jobs[0].ID); err != nil && jobState(t, alice, jobs[0].ID).State != StateDelivered {
		t.Fatal(err)
	}
	waitState(t, alice, jobs[0].ID, StateDelivered)
	items, err := bob.svc.Inbox(ctx, KindMail, false)
	if err != nil || len(items) != 2 {
		t.Fatalf("bob's inbox: %v %+v", err, items)
	}
	var real *Item
	for i := range items {
		if items[i].Sender == alice.id.PeerID.String() {
			real = &items[i]
		}
	}
	if real == nil {
		t.Fatal("alice's message is not in bob's inbox")
	}
	got, err := bob.svc.Item(ctx, real.ID, true)
	if err != nil || got.Subject != "the real mail" || got.Body != "from alice" {
		t.Fatalf("reading alice's message: %v %+v", err, got)
	}
}

// A receipt signed by the job's recipient but for another message under
// the job's ID (addressed to another sender, or naming other ciphertext)
// does not settle the job: the sender sees the mismatch as its error.
func TestReceiptMustNameSenderAndHash(t *testing.T) {
	t.Parallel()
	alice, bob, mallory := newTNode(t, "alice"), newTNode(t, "bob"), newTNode(t, "mallory")
	group(alice, bob, mallory)
	alice.start()
	ctx := context.Background()
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s"})
	if err != nil {
		t.Fatal(err)
	}
	var eb []byte
	alice.db.QueryRow(`SELECT envelope FROM spool_outbox WHERE id=?`, jobs[0].ID).Scan(&eb)
	mine, _ := DecodeEnvelope(eb)
	other := *mine
	other.Sender = []byte(mallory.id.PeerID)
	tampered := *mine
	tampered.Hash = make([]byte, 32)
	noHash := *mine
	noHash.Hash = nil
	for _, c := range []struct {
		name string
		env  *Envelope
		want string
	}{
		{"addressed to another sender", &other, "answers a message from"},
		{"for other content", &tampered, "other content"},
		{"naming no hash", &noHash, "names no ciphertext hash"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rb, err := newReceipt(bob.id.Key, bob.id.PeerID, c.env, StatusAccepted, "")
			if err != nil {
				t.Fatal(err)
			}
			rec, err := DecodeReceipt(rb)
			if err != nil {
				t.Fatal(err)
			}
			if err := alice.svc.applyReceipts(ctx, []*Receipt{rec}, "direct"); err != nil {
				t.Fatal(err)
			}
			j := jobState(t, alice, jobs[0].ID)
			if j.State == StateDelivered || !strings.Contains(j.Error, c.want) {
				t.Fatalf("job %s, error %q; want not delivered with %q", j.State, j.Error, c.want)
			}
		})
	}
	rb, _ := newReceipt(bob.id.Key, bob.id.PeerID, mine, StatusAccepted, "")
	rec, _ := DecodeReceipt(rb)
	if err := alice.svc.applyReceipts(ctx, []*Receipt{rec}, "direct"); err != nil {
		t.Fatal(err)
	}
	if j := jobState(t, alice, jobs[0].ID); j.State != StateDelivered {
		t.Fatalf("the matching receipt left the job %s", j.State)
	}
}

// A recipient signs nothing for an envelope whose signature fails: a
// member forging alice's message under her job's ID gets the stream
// reset, and alice's real message is delivered afterwards.
func TestForgedEnvelopeGetsNoReceipt(t *testing.T) {
	t.Parallel()
	alice, bob, mallory := newTNode(t, "alice"), newTNode(t, "bob"), newTNode(t, "mallory")
	group(alice, bob, mallory)
	alice.start()
	bob.start()
	mallory.start()
	connect(t, mallory, bob)
	connect(t, mallory, alice)
	ctx := context.Background()
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "real", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	var eb []byte
	alice.db.QueryRow(`SELECT envelope FROM spool_outbox WHERE id=?`, jobs[0].ID).Scan(&eb)
	real, _ := DecodeEnvelope(eb)
	ct := []byte("not alice's ciphertext")
	forged := testEnvelope(t, mallory.id.Key, alice.id.PeerID, bob.id.PeerID, ct)
	forged.ID = real.ID
	if err := forged.Sign(mallory.id.Key); err != nil { // signed by mallory, claims alice
		t.Fatal(err)
	}
	if rep, err := tryOffer(t, mallory, bob.id.PeerID, forged, ct); err == nil {
		t.Fatalf("forged envelope answered: %+v", rep)
	}
	// In a push batch too: no reply, the stream is reset.
	st, err := mallory.host.NewStream(ctx, bob.id.PeerID, "/peerhood/deliver/1")
	if err != nil {
		t.Fatal(err)
	}
	feb, _ := forged.Encode()
	if rep, err := ask[deliverReply](st, wire.NewReader(st, 0), &deliverReq{Op: opPush, Items: []pushItem{{Envelope: feb, Data: ct}}}); err == nil {
		t.Fatalf("forged push answered: %+v", rep)
	}
	st.Close()
	connect(t, alice, bob)
	alice.svc.Wake()
	j := waitState(t, alice, jobs[0].ID, StateDelivered)
	if j.Error != "" {
		t.Fatalf("delivered with error %q", j.Error)
	}
	testutil.Eventually(t, 5*time.Second, func() error {
		_, err := bob.svc.Item(ctx, jobs[0].ID, false)
		return err
	})
}

// The same squat through mailboxes: mallory, a mailbox holding alice's
// deposit for bob, deposits its own message under that ID with another
// mailbox, which bob fetches from first. Bob still stores and reads
// alice's message when he fetches it from mallory, and alice's job is
// delivered by bob's receipt for it.
func TestSquattedIDThroughMailbox(t *testing.T) {
	t.Parallel()
	alice, mallory, mbox2, bob := newTNode(t, "alice"), newTNode(t, "mallory", "mailbox"), newTNode(t, "mbox2", "mailbox"), newTNode(t, "bob")
	group(alice, mallory, mbox2, bob)
	alice.start()
	mallory.start()
	mbox2.start()
	connect(t, alice, mallory)
	connect(t, mallory, mbox2)
	ctx := context.Background()
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "the real mail", Body: "from alice"})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, jobs[0].ID, StateDeposited)
	var blob []byte
	if err := mallory.db.QueryRow(`SELECT blob FROM spool_mailbox WHERE id=?`, jobs[0].ID).Scan(&blob); err != nil {
		t.Fatal(err)
	}
	seen, _ := DecodeEnvelope(blob)
	env, ct := hostileMessage(t, mallory, bob, seen.ID, "squatter")
	eb, _ := env.Encode()
	st, err := mallory.host.NewStream(ctx, mbox2.id.PeerID, p2p.ProtoMailbox)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ask[mailboxReply](st, wire.NewReader(st, maxListFrame), &mailboxReq{Op: opDeposit, Items: []pushItem{{Envelope: eb, Data: ct}}})
	st.Close()
	if err != nil || rep.Err != nil || len(rep.Replies) != 1 || rep.Replies[0].Err != nil {
		t.Fatalf("squatter's deposit: %v %+v", err, rep)
	}

	bob.start()
	connect(t, bob, mbox2)
	bob.svc.FetchNow(ctx) // the squatter's message first
	connect(t, bob, mallory)
	connect(t, bob, alice)
	testutil.Eventually(t, 10*time.Second, func() error {
		bob.svc.FetchNow(ctx)
		items, _ := bob.svc.Inbox(ctx, KindMail, false)
		for _, it := range items {
			if it.Sender == alice.id.PeerID.String() {
				got, err := bob.svc.Item(ctx, it.ID, true)
				if err != nil || got.Body != "from alice" {
					return fmt.Errorf("alice's message: %v %+v", err, got)
				}
				return nil
			}
		}
		return fmt.Errorf("alice's message not in bob's inbox (%d items)", len(items))
	})
	waitState(t, alice, jobs[0].ID, StateDelivered)
}

// A forged envelope held by a (hostile) mailbox is dropped by the
// recipient without any receipt: nothing signed goes back to the member
// it claims as sender.
func TestForgedEnvelopeOnMailboxGetsNoReceipt(t *testing.T) {
	t.Parallel()
	alice, mallory, bob := newTNode(t, "alice"), newTNode(t, "mallory", "mailbox"), newTNode(t, "bob")
	group(alice, mallory, bob)
	mallory.start()
	bob.start()
	ctx := context.Background()
	ct := []byte("forged ciphertext")
	forged := testEnvelope(t, mallory.id.Key, alice.id.PeerID, bob.id.PeerID, ct) // claims alice, signed by mallory
	eb, _ := forged.Encode()
	_, err := mallory.db.Exec(`INSERT INTO spool_mailbox(recipient, item, id, sender, blob, hash, size, inline, received) VALUES(?,?,?,?,?,?,?,?,1)`,
		bob.id.PeerID.String(), itemMessage, forged.IDString(), alice.id.PeerID.String(), eb, forged.HashString(), len(ct), ct)
	if err != nil {
		t.Fatal(err)
	}
	connect(t, bob, mallory)
	testutil.Eventually(t, 10*time.Second, func() error {
		bob.svc.FetchNow(ctx)
		var n int
		mallory.db.QueryRow(`SELECT count(*) FROM spool_mailbox`).Scan(&n)
		if n != 0 {
			return fmt.Errorf("forged item not taken yet")
		}
		return nil
	})
	var n int
	bob.db.QueryRow(`SELECT count(*) FROM spool_receipts_out`).Scan(&n)
	if n != 0 {
		t.Fatalf("bob queued %d receipts for a forged envelope", n)
	}
	if items, _ := bob.svc.Inbox(ctx, KindMail, false); len(items) != 0 {
		t.Fatalf("bob stored a forged message: %+v", items)
	}
}
