package spool

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// TestSentReplyForward: alice mails bob with an attachment; alice's sent
// list shows it; bob replies (to alice, "Re:", the original quoted) and
// forwards it to carol with the attachment, which carol can accept; a
// delivered job counts the try that delivered it.
func TestSentReplyForward(t *testing.T) {
	t.Parallel()
	alice, bob, carol := newTNode(t, "alice"), newTNode(t, "bob"), newTNode(t, "carol")
	group(alice, bob, carol)
	for _, n := range []*tnode{alice, bob, carol} {
		n.start()
	}
	connect(t, alice, bob)
	connect(t, bob, carol)
	ctx := context.Background()
	att := writeFile(t, t.TempDir(), "agenda.txt", []byte("1. coffee"))

	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "meeting", Body: "at 10?\nroom 2", Paths: []string{att}})
	if err != nil {
		t.Fatal(err)
	}
	if j := waitState(t, alice, jobs[0].ID, StateDelivered); j.Attempts != 1 {
		t.Errorf("delivered at the first try, but the job counts %d tries", j.Attempts)
	}
	var hm dto.Metric
	if err := alice.svc.metrics.delivered.Write(&hm); err != nil || hm.GetHistogram().GetSampleCount() != 1 {
		t.Errorf("peerhood_delivery_seconds counts %d deliveries, want 1 (%v)", hm.GetHistogram().GetSampleCount(), err)
	}
	sent, err := alice.svc.Sent(ctx)
	if err != nil || len(sent) != 1 || sent[0].To != "bob" || sent[0].Summary != "meeting" || sent[0].State != StateDelivered {
		t.Fatalf("alice's sent mail: %+v, %v", sent, err)
	}
	if s, _ := bob.svc.Sent(ctx); len(s) != 0 {
		t.Fatalf("bob sent nothing yet: %+v", s)
	}

	in, _ := bob.svc.Inbox(ctx, KindMail, false)
	if len(in) != 1 {
		t.Fatalf("bob's mail: %+v", in)
	}
	id := in[0].ID[:8]
	rj, err := bob.svc.Reply(ctx, id, "yes", nil, false)
	if err != nil || len(rj) != 1 || rj[0].To != "alice" || rj[0].Summary != "Re: meeting" {
		t.Fatalf("reply: %+v %v", rj, err)
	}
	waitState(t, bob, rj[0].ID, StateDelivered)
	am, _ := alice.svc.Inbox(ctx, KindMail, false)
	if len(am) != 1 {
		t.Fatalf("alice's mail: %+v", am)
	}
	got, _ := alice.svc.Item(ctx, am[0].ID, true)
	if !strings.HasPrefix(got.Body, "yes\n\nOn ") || !strings.Contains(got.Body, "alice wrote:\n> at 10?\n> room 2\n") {
		t.Errorf("reply body:\n%s", got.Body)
	}
	// A reply to a reply keeps one "Re: ".
	rr, err := alice.svc.Reply(ctx, am[0].ID, "ok", nil, true)
	if err != nil || rr[0].Summary != "Re: meeting" {
		t.Fatalf("reply to the reply: %+v %v", rr, err)
	}

	fj, err := bob.svc.Forward(ctx, id, []string{"carol"}, "FYI")
	if err != nil || len(fj) != 1 || fj[0].Summary != "Fwd: meeting" {
		t.Fatalf("forward: %+v %v", fj, err)
	}
	waitState(t, bob, fj[0].ID, StateDelivered)
	cm, _ := carol.svc.Inbox(ctx, KindMail, false)
	if len(cm) != 1 || cm[0].From != "bob" || len(cm[0].Files) != 1 {
		t.Fatalf("carol's mail: %+v", cm)
	}
	cit, _ := carol.svc.Item(ctx, cm[0].ID, true)
	if !strings.HasPrefix(cit.Body, "FYI\n\n---------- Forwarded message") || !strings.Contains(cit.Body, "From: alice") || !strings.HasSuffix(cit.Body, "at 10?\nroom 2") {
		t.Errorf("forwarded body:\n%s", cit.Body)
	}
	dest := t.TempDir()
	if _, err := carol.svc.Accept(ctx, cm[0].ID, dest); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "agenda.txt")); string(b) != "1. coffee" {
		t.Errorf("forwarded attachment: %q", b)
	}
	if left, _ := filepath.Glob(filepath.Join(bob.home, "spool", "forward-*")); len(left) != 0 {
		t.Errorf("forward left its folder: %v", left)
	}

	// Once bob saved the attachments, a forward says so; a file copy is
	// not a mail.
	if _, err := bob.svc.Accept(ctx, id, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.svc.Forward(ctx, id, []string{"carol"}, ""); err == nil || !strings.Contains(err.Error(), "inbox accept") {
		t.Errorf("forward after accept: %v", err)
	}
	cj, _ := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindFile, Paths: []string{att}})
	waitState(t, alice, cj[0].ID, StateDelivered)
	fl, _ := bob.svc.Inbox(ctx, KindFile, false)
	if _, err := bob.svc.Reply(ctx, fl[0].ID, "x", nil, false); err == nil || !strings.Contains(err.Error(), "not a mail") {
		t.Errorf("reply to a file copy: %v", err)
	}
}
