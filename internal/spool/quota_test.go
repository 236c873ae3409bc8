package spool

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/wire"
)

// floodEnvelope is a small message from n to to, signed by n.
func floodEnvelope(t testing.TB, n, to *tnode, data []byte) []byte {
	id, _ := newMessageID()
	sum := sha256.Sum256(data)
	e := &Envelope{Version: EnvelopeVersion, ID: id, Sender: []byte(n.id.PeerID), Recipient: []byte(to.id.PeerID), Workgroup: testWG,
		Kind: KindMail, Created: time.Now().UnixMilli(), Size: uint64(len(data)), Hash: sum[:]}
	if err := e.Sign(n.id.Key); err != nil {
		t.Fatal(err)
	}
	b, _ := e.Encode()
	return b
}

// One member floods a mailbox with 20,000 deposits: the mailbox keeps
// the per-sender quota (here 300 messages, to keep the test cheap under
// the race detector; 2,000 by default) and refuses the rest with an
// error naming the quota; another member still deposits.
func TestMailboxQuotaRefusesFlood(t *testing.T) {
	t.Parallel()
	alice, mbox, bob, mallory := newTNode(t, "alice"), newTNode(t, "mbox", "mailbox"), newTNode(t, "bob"), newTNode(t, "mallory")
	group(alice, mbox, bob, mallory)
	const quota = 300
	mbox.mutate = func(c *Config) { c.MailboxMaxCount = quota }
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
	data := []byte("sixteen bytes!!!")
	const flood = 20000
	// Distinct signed messages well past the quota, then sent again and
	// again up to 20,000 deposits (signing 20,000 costs the test minutes
	// under the race detector; the mailbox refuses past the quota before
	// it looks at an envelope).
	pool := make([][]byte, quota+200)
	for i := range pool {
		pool[i] = floodEnvelope(t, mallory, bob, data)
	}
	kept, over := 0, 0
	var quotaMsg string
	start := time.Now()
	for sent := 0; sent < flood; {
		req := mailboxReq{Op: opDeposit}
		for ; sent < flood && len(req.Items) < maxBatchItems; sent++ {
			req.Items = append(req.Items, pushItem{Envelope: pool[sent%len(pool)], Data: data})
		}
		rep, err := ask[mailboxReply](st, r, &req)
		if err != nil || rep.Err != nil {
			t.Fatalf("batch up to %d: %v %v", sent, err, rep.Err)
		}
		for _, x := range rep.Replies {
			switch {
			case x.Err == nil:
				kept++
			case x.Err.Code == codeQuota:
				over++
				quotaMsg = x.Err.Message
			default:
				t.Fatalf("deposit refused: %v", x.Err)
			}
		}
	}
	t.Logf("%d deposits from one sender in %v: %d kept, %d over quota", flood, time.Since(start), kept, over)
	if kept != quota || over != flood-quota {
		t.Fatalf("kept %d, refused %d over quota; want %d kept", kept, over, quota)
	}
	if !strings.Contains(quotaMsg, "over quota") || !strings.Contains(quotaMsg, fmt.Sprint(quota)) {
		t.Fatalf("quota error %q does not say what limit", quotaMsg)
	}
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "still gets through"})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, jobs[0].ID, StateDeposited)
}

// The quotas come from the node settings when the Config leaves them zero.
func TestQuotaFromSettings(t *testing.T) {
	t.Parallel()
	n := newTNode(t, "n")
	group(n)
	n.start()
	if c := n.svc.cfg; c.MailboxMaxCount != defMailboxMaxCount || c.MailboxMaxBytes != defMailboxMaxBytes ||
		c.PartialMaxCount != defPartialMaxCount || c.PartialMaxBytes != defPartialMaxBytes || c.PartialMaxAge != defPartialMaxAge ||
		c.ReceiptMaxCount != defReceiptMaxCount || c.ReceiptMaxBytes != defReceiptMaxBytes {
		t.Fatalf("defaults not applied: %+v", c)
	}
	ctx := context.Background()
	for k, v := range map[string]string{settingMailboxCount: "5", settingMailboxBytes: "1000", settingPartialCount: "3",
		settingPartialBytes: "2000", settingPartialAge: "36h", settingReceiptCount: "7", settingReceiptBytes: "900"} {
		if err := n.db.SetSetting(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	n.stop()
	n.start()
	c := n.svc.cfg
	if c.MailboxMaxCount != 5 || c.MailboxMaxBytes != 1000 || c.PartialMaxCount != 3 || c.PartialMaxBytes != 2000 || c.PartialMaxAge != 36*time.Hour ||
		c.ReceiptMaxCount != 7 || c.ReceiptMaxBytes != 900 {
		t.Fatalf("limits %d %d %d %d %v", c.MailboxMaxCount, c.MailboxMaxBytes, c.PartialMaxCount, c.PartialMaxBytes, c.PartialMaxAge)
	}
}

// A direct offer larger than the recipient's free space is refused
// before any byte is sent (the declared size may be ~1 TiB); a real
// sender's job stays queued with the reason.
func TestOfferRefusedOverFreeSpace(t *testing.T) {
	t.Parallel()
	alice, bob, mallory := newTNode(t, "alice"), newTNode(t, "bob"), newTNode(t, "mallory")
	group(alice, bob, mallory)
	bob.mutate = func(c *Config) {
		c.MinFree = 1 << 20
		c.FreeSpace = func(string) (uint64, error) { return 8 << 20, nil }
	}
	alice.start()
	bob.start()
	mallory.start()
	connect(t, mallory, bob)
	connect(t, alice, bob)
	huge := testEnvelope(t, mallory.id.Key, mallory.id.PeerID, bob.id.PeerID, nil)
	huge.Size = 1<<40 - 1
	if err := huge.Sign(mallory.id.Key); err != nil {
		t.Fatal(err)
	}
	rep := offer(t, mallory, bob.id.PeerID, huge, nil)
	if rep.Err == nil || rep.Err.Code != wire.CodeNoSpace || !strings.Contains(rep.Err.Message, "bytes free") {
		t.Fatalf("offer of 1 TiB: %+v", rep)
	}
	if ents, _ := os.ReadDir(filepath.Join(bob.home, "spool", "partial")); len(ents) != 0 {
		t.Fatalf("a refused offer left %d partial files", len(ents))
	}
	// 4 MiB fit in 8 MiB free less 1 MiB kept, but a file copy is staged
	// decrypted beside its ciphertext: 9 MiB needed.
	big := make([]byte, 4<<20)
	rand.Read(big)
	src := writeFile(t, t.TempDir(), "big.bin", big)
	jobs, err := alice.svc.Send(context.Background(), SendRequest{To: []string{"bob"}, Kind: KindFile, Paths: []string{src}})
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		j := jobState(t, alice, jobs[0].ID)
		if j.State != StateQueued || !strings.Contains(j.Error, "bytes free") {
			return fmt.Errorf("job %s %q", j.State, j.Error)
		}
		return nil
	})
}

// Transfers in progress are bounded per sender: mallory leaves partial
// transfers behind until the quota refuses the next; alice still sends.
func TestDirectPartialQuota(t *testing.T) {
	t.Parallel()
	alice, bob, mallory := newTNode(t, "alice"), newTNode(t, "bob"), newTNode(t, "mallory")
	group(alice, bob, mallory)
	bob.mutate = func(c *Config) { c.PartialMaxCount = 2 }
	alice.start()
	bob.start()
	mallory.start()
	connect(t, mallory, bob)
	connect(t, alice, bob)
	ctx := context.Background()
	ct := make([]byte, InlineMax+4096)
	rand.Read(ct)
	abandon := func() *wire.Error {
		env := testEnvelope(t, mallory.id.Key, mallory.id.PeerID, bob.id.PeerID, ct)
		st, err := mallory.host.NewStream(ctx, bob.id.PeerID, p2p.ProtoDeliver)
		if err != nil {
			t.Fatal(err)
		}
		eb, _ := env.Encode()
		rep, err := ask[deliverReply](st, wire.NewReader(st, 0), &deliverReq{Op: opOffer, Envelope: eb})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Err == nil {
			st.Write(ct[:InlineMax]) // most of it, then gone
			st.CloseWrite()
			key := inKey(env)
			testutil.Eventually(t, 5*time.Second, func() error {
				if !bob.svc.lock(key) { // still being received
					return fmt.Errorf("transfer not ended yet")
				}
				bob.svc.unlock(key)
				if fi, err := os.Stat(bob.svc.spool.partial(key)); err != nil || fi.Size() == 0 {
					return fmt.Errorf("partial not written: %v", err)
				}
				return nil
			})
		}
		st.Reset()
		return rep.Err
	}
	for i := 0; i < 2; i++ {
		if werr := abandon(); werr != nil {
			t.Fatalf("offer %d refused: %v", i, werr)
		}
	}
	werr := abandon()
	if werr == nil || werr.Code != codeQuota || !strings.Contains(werr.Message, "2 transfers") {
		t.Fatalf("third abandoned transfer: %v", werr)
	}
	big := make([]byte, 1<<20)
	rand.Read(big)
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindFile, Paths: []string{writeFile(t, t.TempDir(), "f.bin", big)}})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, jobs[0].ID, StateDelivered)
}

// Abandoned partial transfers are swept while the node runs, not only at
// start; a fresh one stays.
func TestSweepAbandonedPartials(t *testing.T) {
	t.Parallel()
	n := newTNode(t, "n")
	group(n)
	n.mutate = func(c *Config) { c.PartialMaxAge = time.Hour; c.SweepInterval = 20 * time.Millisecond }
	n.start()
	part := filepath.Join(n.home, "spool", "partial")
	old := writeFile(t, part, "in-old", []byte("abandoned"))
	fresh := writeFile(t, part, "in-fresh", []byte("in progress"))
	past := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, func() error {
		if _, err := os.Stat(old); err == nil {
			return fmt.Errorf("abandoned partial still there")
		}
		return nil
	})
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("fresh partial swept: %v", err)
	}
}
