package spool

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

func waitState(t *testing.T, n *tnode, id, state string) Job {
	t.Helper()
	var j Job
	testutil.Eventually(t, 15*time.Second, func() error {
		j = jobState(t, n, id)
		if j.State != state {
			return fmt.Errorf("job %s is %s (route %s, err %q), want %s", id, j.State, j.Route, j.Error, state)
		}
		return nil
	})
	return j
}

func TestDirectDeliveryMailAndFiles(t *testing.T) {
	t.Parallel()
	alice, bob := connectedPair(t)
	ctx := context.Background()
	src := t.TempDir()
	big := make([]byte, 3<<20+17) // spooled, not inline
	rand.Read(big)
	att := writeFile(t, src, "notes.txt", []byte("attached"))
	writeFile(t, src, "tree/a.bin", big)
	writeFile(t, src, "tree/sub/b.txt", []byte("bee"))

	mails, err := alice.svc.Send(ctx, SendRequest{To: []string{"BOB"}, Kind: KindMail, Subject: "hi", Body: "hello bob", Paths: []string{att}})
	if err != nil {
		t.Fatal(err)
	}
	files, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindFile, Paths: []string{filepath.Join(src, "tree")}, Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	j := waitState(t, alice, mails[0].ID, StateDelivered)
	if j.Route != "direct" {
		t.Fatalf("route %q", j.Route)
	}
	waitState(t, alice, files[0].ID, StateDelivered)

	ml, _ := bob.svc.Inbox(ctx, KindMail, true)
	if len(ml) != 1 || ml[0].Subject != "hi" || ml[0].From != "alice" || len(ml[0].Files) != 1 {
		t.Fatalf("bob's mail: %+v", ml)
	}
	it, err := bob.svc.Item(ctx, ml[0].ID[:8], true)
	if err != nil || it.Body != "hello bob" {
		t.Fatalf("read: %+v %v", it, err)
	}
	if unread, _ := bob.svc.Inbox(ctx, KindMail, true); len(unread) != 0 {
		t.Fatalf("still unread: %+v", unread)
	}
	fl, _ := bob.svc.Inbox(ctx, KindFile, false)
	if len(fl) != 1 || len(fl[0].Files) != 2 {
		t.Fatalf("bob's files: %+v", fl)
	}
	dest := t.TempDir()
	res, err := bob.svc.Accept(ctx, fl[0].ID, dest)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 2 {
		t.Fatalf("accepted %+v", res)
	}
	got, _ := os.ReadFile(filepath.Join(dest, "tree", "a.bin"))
	if !bytes.Equal(got, big) {
		t.Fatal("a.bin differs after delivery")
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "tree", "sub", "b.txt")); string(b) != "bee" {
		t.Fatalf("b.txt = %q", b)
	}
	// Accepting twice is refused; the spool file is gone from both sides.
	if _, err := bob.svc.Accept(ctx, fl[0].ID, dest); !errors.Is(err, ErrConflict) {
		t.Fatalf("second accept: %v", err)
	}
	for _, n := range []*tnode{alice, bob} {
		left, _ := filepath.Glob(filepath.Join(n.home, "spool", "[0-9a-f]*"))
		if len(left) != 0 {
			t.Fatalf("%s keeps spool files after delivery and accept: %v", n.name, left)
		}
	}
}

func TestSendRefusesUnknownRecipient(t *testing.T) {
	t.Parallel()
	alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
	group(alice, bob)
	alice.start()
	ctx := context.Background()
	for _, tc := range []struct {
		req  SendRequest
		want string
	}{
		{SendRequest{To: []string{"carol"}, Kind: KindMail, Subject: "x"}, `no member "carol"`},
		{SendRequest{To: []string{"alice"}, Kind: KindMail}, "this node itself"},
		{SendRequest{To: []string{"bob"}, Kind: KindFile}, "at least one file"},
		{SendRequest{To: []string{"bob"}, Kind: KindFile, Paths: []string{"rel/path"}}, "absolute"},
		{SendRequest{To: []string{"bob"}, Kind: KindFile, Paths: []string{t.TempDir()}}, "use -r"},
		{SendRequest{To: []string{"bob:docs/../x"}, Kind: KindFile, Paths: []string{"/etc/hostname"}}, "not allowed"},
		{SendRequest{To: []string{"bob:docs"}, Kind: KindMail, Subject: "x"}, "only file copies"},
		{SendRequest{Kind: KindMail}, "at least one recipient"},
	} {
		_, err := alice.svc.Send(ctx, tc.req)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.req, err, tc.want)
		}
	}
	if q, _ := alice.svc.Queue(ctx); len(q) != 0 {
		t.Fatalf("refused sends left jobs: %+v", q)
	}
}

// Bob is offline: the mail waits with the mailbox, which cannot read it;
// bob comes up, fetches, and his signed receipt reaches alice through the
// mailbox (alice does not know bob's address).
func TestDeliveryThroughMailboxToOfflineMember(t *testing.T) {
	t.Parallel()
	alice, mbox, bob := withMailbox(t)
	ctx := context.Background()
	src := t.TempDir()
	big := make([]byte, 1<<20)
	rand.Read(big)
	p := writeFile(t, src, "big.bin", big)
	mails, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "while you were out", Body: "secret body"})
	if err != nil {
		t.Fatal(err)
	}
	files, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindFile, Paths: []string{p}})
	if err != nil {
		t.Fatal(err)
	}
	j := waitState(t, alice, mails[0].ID, StateDeposited)
	if j.Route != "mailbox:mbox" {
		t.Fatalf("route %q", j.Route)
	}
	waitState(t, alice, files[0].ID, StateDeposited)
	// The mailbox holds ciphertext only.
	var n int
	mbox.db.QueryRow(`SELECT count(*) FROM spool_mailbox`).Scan(&n)
	if n != 2 {
		t.Fatalf("mailbox holds %d items", n)
	}
	var inline []byte
	mbox.db.QueryRow(`SELECT inline FROM spool_mailbox WHERE id=?`, mails[0].ID).Scan(&inline)
	if len(inline) == 0 || bytes.Contains(inline, []byte("secret body")) || !bytes.HasPrefix(inline, []byte("age-encryption.org/v1")) {
		t.Fatalf("mailbox copy is not age ciphertext: %q", inline[:min(40, len(inline))])
	}

	bob.start()
	connect(t, bob, mbox)
	waitState(t, alice, mails[0].ID, StateDelivered)
	waitState(t, alice, files[0].ID, StateDelivered)
	ml, _ := bob.svc.Inbox(ctx, KindMail, false)
	if len(ml) != 1 || ml[0].Subject != "while you were out" {
		t.Fatalf("bob's mail: %+v", ml)
	}
	testutil.Eventually(t, 5*time.Second, func() error {
		mbox.db.QueryRow(`SELECT count(*) FROM spool_mailbox`).Scan(&n)
		if n != 0 {
			return fmt.Errorf("mailbox still holds %d items", n)
		}
		return nil
	})
	fl, _ := bob.svc.Inbox(ctx, KindFile, false)
	dest := t.TempDir()
	if _, err := bob.svc.Accept(ctx, fl[0].ID, dest); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "big.bin")); !bytes.Equal(got, big) {
		t.Fatal("file differs after mailbox delivery")
	}
}

// A second delivery of the same message ID is acknowledged, not stored twice.
func TestDuplicateDeliveryStoredOnce(t *testing.T) {
	t.Parallel()
	alice, bob := connectedPair(t)
	ctx := context.Background()
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "once"})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, jobs[0].ID, StateDelivered)
	// Replay: the sender forgets the delivery and sends the same envelope again.
	alice.db.Exec(`UPDATE spool_outbox SET state='queued', next_try=0 WHERE id=?`, jobs[0].ID)
	alice.db.Exec(`UPDATE spool_outbox SET inline=(SELECT inline FROM spool_outbox WHERE id=?) WHERE id=?`, jobs[0].ID, jobs[0].ID)
	var inl []byte
	bob.db.QueryRow(`SELECT inline FROM spool_inbox WHERE id=?`, jobs[0].ID).Scan(&inl)
	alice.db.Exec(`UPDATE spool_outbox SET inline=? WHERE id=?`, inl, jobs[0].ID)
	alice.svc.Wake()
	waitState(t, alice, jobs[0].ID, StateDelivered)
	// After rm the ID is remembered: a replay is still not stored.
	if _, err := bob.svc.Remove(ctx, jobs[0].ID); err != nil {
		t.Fatal(err)
	}
	alice.db.Exec(`UPDATE spool_outbox SET state='queued', next_try=0, inline=? WHERE id=?`, inl, jobs[0].ID)
	alice.svc.Wake()
	waitState(t, alice, jobs[0].ID, StateDelivered)
	var n int
	bob.db.QueryRow(`SELECT count(*) FROM spool_inbox`).Scan(&n)
	if l, _ := bob.svc.Inbox(ctx, KindMail, false); n != 1 || len(l) != 0 {
		t.Fatalf("inbox rows %d, listed %d", n, len(l))
	}
}

// Resume: bob already holds the first part of a large ciphertext (an
// interrupted transfer); delivery continues from there and the hash matches.
func TestResumeFromPartial(t *testing.T) {
	t.Parallel()
	alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
	group(alice, bob)
	alice.start()
	ctx := context.Background()
	big := make([]byte, 2<<20)
	rand.Read(big)
	p := writeFile(t, t.TempDir(), "f.bin", big)
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindFile, Paths: []string{p}})
	if err != nil {
		t.Fatal(err)
	}
	var hash string
	alice.db.QueryRow(`SELECT hash FROM spool_outbox WHERE id=?`, jobs[0].ID).Scan(&hash)
	ct, err := os.ReadFile(filepath.Join(alice.home, "spool", hash))
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(bob.home, "spool", "partial"), 0o700)
	os.WriteFile(filepath.Join(bob.home, "spool", "partial", "in-"+alice.id.PeerID.String()+"-"+jobs[0].ID), ct[:len(ct)/2], 0o600)
	bob.start()
	connect(t, alice, bob)
	waitState(t, alice, jobs[0].ID, StateDelivered)
	fl, _ := bob.svc.Inbox(ctx, KindFile, false)
	dest := t.TempDir()
	if _, err := bob.svc.Accept(ctx, fl[0].ID, dest); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "f.bin")); !bytes.Equal(got, big) {
		t.Fatal("resumed file differs")
	}
}

// One mail to several members: one job (and one sealed copy) each.
func TestMailToSeveralRecipients(t *testing.T) {
	t.Parallel()
	alice, bob, carol := newTNode(t, "alice"), newTNode(t, "bob"), newTNode(t, "carol")
	group(alice, bob, carol)
	alice.start()
	bob.start()
	carol.start()
	connect(t, alice, bob)
	connect(t, alice, carol)
	ctx := context.Background()
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob", "carol"}, Kind: KindMail, Subject: "all", Body: "hello both"})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[0].ID == jobs[1].ID || jobs[0].To != "bob" || jobs[1].To != "carol" {
		t.Fatalf("jobs %+v", jobs)
	}
	for _, j := range jobs {
		waitState(t, alice, j.ID, StateDelivered)
	}
	for _, n := range []*tnode{bob, carol} {
		l, _ := n.svc.Inbox(ctx, KindMail, false)
		if len(l) != 1 || l[0].Subject != "all" {
			t.Fatalf("%s's mail: %+v", n.name, l)
		}
	}
}
