package chat_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// attachmentOf waits until nd's history of room holds message id and
// returns its first attachment as nd links it.
func attachmentOf(t *testing.T, nd *testnet.Node, q chat.HistoryQuery, id string, linked bool) chat.Message {
	t.Helper()
	var got chat.Message
	testutil.Eventually(t, testnet.Converge, func() error {
		ms, err := nd.Chat().History(ctxT(t), "office", q)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(ms, func(m chat.Message) bool { return m.ID == id })
		if i < 0 {
			return fmt.Errorf("%s lacks message %s", nd.Name, id)
		}
		nd.Chat().LinkCopies(ctxT(t), ms[i:i+1])
		got = ms[i]
		if linked && got.Attachments[0].Copy == "" {
			return fmt.Errorf("%s: no copy linked to %+v", nd.Name, got.Attachments)
		}
		return nil
	})
	return got
}

// checkSaved: the files res names hold content.
func checkSaved(t *testing.T, who string, res chat.SaveResult, content string) {
	t.Helper()
	if res.State != chat.SaveSaved || len(res.Files) != 1 {
		t.Fatalf("%s: save: %+v", who, res)
	}
	if b, err := os.ReadFile(res.Files[0]); err != nil || string(b) != content {
		t.Fatalf("%s: saved file %s: %q, %v", who, res.Files[0], b, err)
	}
}

// checkLateJoiner (gap 1 and 2 of the s8 chat audit), after
// TestAttachments sent alpha's room message with report.txt to ops
// (bravo only): bravo's history links the attachment to its inbox copy
// (from alpha) and saving it writes the file, checked against the
// message's SHA-256; charlie, not allowed in ops, is refused a copy;
// once allowed, charlie joins, has the message but no copy but a forged
// one (alpha sends another file under the same reference: set aside as
// report.txt.mismatch), and asks:
// alpha no longer keeps the file (its source was removed), so bravo
// (which saved it) queues one, which charlie saves.
func checkLateJoiner(t *testing.T, a, b, c *testnet.Node, sent chat.Message, src, content string) {
	view := attachmentOf(t, b, chat.HistoryQuery{Room: "ops"}, sent.ID, true)
	at := view.Attachments[0]
	if at.CopyFrom != "alpha" || at.CopyState != "new" {
		t.Fatalf("bravo's link: %+v", at)
	}
	res, err := b.Chat().SaveAttachments(ctxT(t), sent.ID[:12], t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	checkSaved(t, "bravo", res, content)
	if res.Copy != at.Copy || res.From != "alpha" {
		t.Errorf("bravo saved %+v, want copy %s from alpha", res, at.Copy)
	}
	// Saved once: asked again, the file is where it was.
	if again, err := b.Chat().SaveAttachments(ctxT(t), sent.ID, ""); err != nil || !slices.Equal(again.Files, res.Files) {
		t.Errorf("bravo saves again: %+v, %v", again, err)
	}

	checkQuotedRef(t, b, c, sent)

	// charlie is not allowed in ops: alpha refuses it a copy.
	testutil.Eventually(t, testnet.Converge, func() error {
		err := c.Chat().AskAttachTest(ctxT(t), a.Host().ID(), "office", "ops", sent.ID)
		if err == nil || !strings.Contains(err.Error(), "not allowed in that room") {
			return fmt.Errorf("charlie (not allowed) asked alpha: %v", err)
		}
		return nil
	})
	if err := os.Remove(src); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Chat().SetAllow(ctxT(t), "office", "ops", []string{"bravo", "charlie"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, testnet.Converge, func() error {
		_, err := c.Chat().JoinRoom(ctxT(t), "office", "ops")
		return err
	})
	if v := attachmentOf(t, c, chat.HistoryQuery{Room: "ops"}, sent.ID, false); v.Attachments[0].Copy != "" {
		t.Fatalf("charlie has a copy already: %+v", v.Attachments)
	}
	// A forged copy under the same reference (same name and size, other
	// bytes) comes first: the save sets it aside and asks for the file.
	forged := filepath.Join(t.TempDir(), "report.txt")
	if err := os.WriteFile(forged, []byte(strings.ToUpper(content)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := a.Chat().SendFilesTest(ctxT(t), "office", []string{"charlie"}, []string{forged}, sent.Attachments[0].Ref); err != nil {
		t.Fatal(err)
	}
	attachmentOf(t, c, chat.HistoryQuery{Room: "ops"}, sent.ID, true)
	first := t.TempDir()
	testutil.Eventually(t, testnet.Converge, func() error {
		res, err := c.Chat().SaveAttachments(ctxT(t), sent.ID, first)
		if err != nil {
			return err
		}
		if res.State != chat.SaveRequested || res.From != "bravo" {
			return fmt.Errorf("charlie's request: %+v", res)
		}
		return nil
	})
	if _, err := os.Stat(filepath.Join(first, "report.txt.mismatch")); err != nil {
		t.Errorf("the forged copy was not set aside: %v", err)
	}
	testutil.Eventually(t, testnet.Converge, func() error {
		if v := attachmentOf(t, c, chat.HistoryQuery{Room: "ops"}, sent.ID, true); v.Attachments[0].CopyFrom != "bravo" {
			return fmt.Errorf("charlie's link: %+v", v.Attachments[0])
		}
		return nil
	})
	res, err = c.Chat().SaveAttachments(ctxT(t), sent.ID, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	checkSaved(t, "charlie", res, content)
	if res.From != "bravo" {
		t.Errorf("charlie's copy came from %q, want bravo", res.From)
	}
}

// TestSaveAttachmentErrors: bad message IDs get clear errors.
func TestSaveAttachmentErrors(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha")
	a := net.Node("alpha")
	for _, tc := range []struct {
		id, want string
		is       error
	}{
		{"zz", "hexadecimal", chat.ErrInvalid},
		{strings.Repeat("ab", 8), "no message", chat.ErrNotFound},
	} {
		_, err := a.Chat().SaveAttachments(ctxT(t), tc.id, "/tmp")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.is) {
			t.Errorf("save %s: %v, want %q (%v)", tc.id, err, tc.want, tc.is)
		}
	}
}

// checkQuotedRef: charlie, not in ops, writes in room lobby (bravo is in
// it) a message quoting the reference and digest of alpha's file in ops;
// bravo, which saved that file from ops, does not send it for lobby.
func checkQuotedRef(t *testing.T, b, c *testnet.Node, sent chat.Message) {
	t.Helper()
	if _, err := c.Chat().CreateRoom(ctxT(t), "office", "lobby", "", nil); err != nil {
		t.Fatal(err)
	}
	waitRoom(t, b, "office", "lobby")
	if _, err := b.Chat().JoinRoom(ctxT(t), "office", "lobby"); err != nil {
		t.Fatal(err)
	}
	id, err := c.Chat().SayQuotingTest(ctxT(t), "office", "lobby", "look", sent.Attachments)
	if err != nil {
		t.Fatal(err)
	}
	attachmentOf(t, b, chat.HistoryQuery{Room: "lobby"}, id, false)
	err = c.Chat().AskAttachTest(ctxT(t), b.Host().ID(), "office", "lobby", id)
	if err == nil || !strings.Contains(err.Error(), "does not keep the files") {
		t.Fatalf("charlie quoting ops' file in lobby: %v, want refused", err)
	}
}

// TestSaveAfterAccept: a copy already written into a folder whose
// paths were not recorded (a save or accept whose records a full disk
// refused after the files were written) is saved by a save into that
// folder: its files are recorded as kept, not refused as saved already.
// Into another folder it is still a conflict.
func TestSaveAfterAccept(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo")
	a, b := net.Node("alpha"), net.Node("bravo")
	net.Workgroup("office")
	src := filepath.Join(t.TempDir(), "notes.txt")
	const content = "the notes"
	if err := os.WriteFile(src, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	var sent chat.Message
	b.Must("POST", "/v1/chat/msg", map[string]any{"workgroup": "office", "member": "alpha", "text": "notes", "attach": []string{src}}, &sent)
	got := attachmentOf(t, a, chat.HistoryQuery{Peer: "bravo"}, sent.ID, true)
	dest := t.TempDir()
	a.Must("POST", "/v1/inbox/"+got.Attachments[0].Copy+"/accept", map[string]string{"dest": dest}, nil)
	// Where the accept wrote them is not recorded (the state of a save
	// whose records a full disk refused once the files were written).
	if _, err := a.DB().ExecContext(ctxT(t), `DELETE FROM spool_accepted WHERE handle=?`, got.Attachments[0].Copy); err != nil {
		t.Fatal(err)
	}

	if _, err := a.Chat().SaveAttachments(ctxT(t), sent.ID, t.TempDir()); !errors.Is(err, chat.ErrConflict) {
		t.Fatalf("save into another folder: %v, want a conflict", err)
	}
	res, err := a.Chat().SaveAttachments(ctxT(t), sent.ID, dest)
	if err != nil {
		t.Fatalf("save into the folder it was accepted into: %v", err)
	}
	checkSaved(t, "alpha", res, content)
	if res.Files[0] != filepath.Join(dest, "notes.txt") {
		t.Fatalf("saved as %s", res.Files[0])
	}
	// Recorded: a save with no folder finds it.
	if res, err := a.Chat().SaveAttachments(ctxT(t), sent.ID, ""); err != nil || res.Files[0] != filepath.Join(dest, "notes.txt") {
		t.Fatalf("save again: %+v, %v", res, err)
	}
}
