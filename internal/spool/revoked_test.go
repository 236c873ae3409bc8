package spool

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

// A mailbox drops what it holds for a member revoked after the deposit
// (rows and spool files), keeps what it holds for others, and the
// sender's job turns into a visible failure.
func TestMailboxDropsItemsOfRevokedRecipient(t *testing.T) {
	t.Parallel()
	alice, mbox, bob, carol := newTNode(t, "alice"), newTNode(t, "mbox", "mailbox"), newTNode(t, "bob"), newTNode(t, "carol")
	group(alice, mbox, bob, carol)
	alice.start()
	mbox.start()
	connect(t, alice, mbox)
	ctx := context.Background()
	big := make([]byte, 1<<20)
	rand.Read(big)
	p := writeFile(t, t.TempDir(), "big.bin", big)
	toBob, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindFile, Paths: []string{p}})
	if err != nil {
		t.Fatal(err)
	}
	mailBob, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s"})
	if err != nil {
		t.Fatal(err)
	}
	toCarol, err := alice.svc.Send(ctx, SendRequest{To: []string{"carol"}, Kind: KindMail, Subject: "s"})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range [][]Job{toBob, mailBob, toCarol} {
		waitState(t, alice, j[0].ID, StateDeposited)
	}
	var hash string
	mbox.db.QueryRow(`SELECT hash FROM spool_mailbox WHERE id=?`, toBob[0].ID).Scan(&hash)
	if _, err := os.Stat(filepath.Join(mbox.home, "spool", hash)); err != nil {
		t.Fatalf("mailbox spool file: %v", err)
	}

	// bob is revoked: the roster reaches the mailbox and the sender.
	mbox.dir.Remove(bob.id.PeerID)
	alice.dir.Remove(bob.id.PeerID)
	testutil.Eventually(t, 10*time.Second, func() error {
		var n int
		mbox.db.QueryRow(`SELECT count(*) FROM spool_mailbox WHERE recipient=?`, bob.id.PeerID.String()).Scan(&n)
		if n != 0 {
			return fmt.Errorf("mailbox still holds %d items for bob", n)
		}
		if _, err := os.Stat(filepath.Join(mbox.home, "spool", hash)); !os.IsNotExist(err) {
			return fmt.Errorf("spool file of a dropped item kept: %v", err)
		}
		return nil
	})
	var n int
	mbox.db.QueryRow(`SELECT count(*) FROM spool_mailbox WHERE recipient=?`, carol.id.PeerID.String()).Scan(&n)
	if n != 1 {
		t.Fatalf("mailbox holds %d items for carol, want 1", n)
	}
	for _, j := range [][]Job{toBob, mailBob} {
		if st := waitState(t, alice, j[0].ID, StateFailed); !strings.Contains(st.Error, "no longer a member") {
			t.Fatalf("reason %q", st.Error)
		}
	}
	if st := jobState(t, alice, toCarol[0].ID); st.State != StateDeposited {
		t.Fatalf("carol's job %s", st.State)
	}
}
