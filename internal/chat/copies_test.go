package chat_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// A copy accepted with `peerhood inbox accept` (not `peerhood save`):
// bravo's inbox names the chat message it belongs to (GET /v1/inbox,
// "for"); once accepted, history shows where the file is and save
// answers it; a message quoting its reference in another room gets
// nothing; and a member allowed in later, whose author no longer keeps
// the file, gets it from bravo's accepted copy.
func TestAcceptedCopies(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo", "charlie")
	net.Workgroup("office")
	net.WaitOnline("office")
	a, b, c := net.Node("alpha"), net.Node("bravo"), net.Node("charlie")
	if _, err := a.Chat().CreateRoom(ctxT(t), "office", "ops", "", []string{"bravo"}); err != nil {
		t.Fatal(err)
	}
	waitRoom(t, b, "office", "ops")
	if _, err := b.Chat().JoinRoom(ctxT(t), "office", "ops"); err != nil {
		t.Fatal(err)
	}
	const content = "minutes of the meeting"
	src := filepath.Join(t.TempDir(), "minutes.txt")
	if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	sent, err := a.Chat().SayFiles(ctxT(t), "office", "ops", "minutes", chat.SendOptions{}, []string{src})
	if err != nil {
		t.Fatal(err)
	}
	// bravo's inbox: the copy names its message.
	var item apitypes.Item
	testutil.Eventually(t, testnet.Converge, func() error {
		var items []apitypes.Item
		b.Must("GET", "/v1/inbox", nil, &items)
		for _, it := range items {
			if it.Subject == sent.Attachments[0].Ref {
				item = it
				if it.For == nil {
					return fmt.Errorf("copy %s names no message", it.ID)
				}
				return nil
			}
		}
		return fmt.Errorf("bravo's inbox: %+v", items)
	})
	if want := (apitypes.ItemFor{Service: "chat", ID: sent.ID, Where: "#ops", Author: "alpha"}); *item.For != want {
		t.Fatalf("copy %s is for %+v, want %+v", item.ID, *item.For, want)
	}
	// bravo accepts it from the inbox.
	dest := t.TempDir()
	var acc apitypes.AcceptResult
	b.Must("POST", "/v1/inbox/"+item.ID+"/accept", apitypes.AcceptRequest{Dest: dest}, &acc)
	saved := filepath.Join(dest, "minutes.txt")
	if v := attachmentOf(t, b, chat.HistoryQuery{Room: "ops"}, sent.ID, true); v.Attachments[0].Path != saved {
		t.Fatalf("bravo's history after inbox accept: %+v, want at %s", v.Attachments[0], saved)
	}
	if res, err := b.Chat().SaveAttachments(ctxT(t), sent.ID, ""); err != nil || res.State != chat.SaveSaved || res.Files[0] != saved {
		t.Fatalf("bravo's save after inbox accept: %+v, %v", res, err)
	}
	checkQuotedRef(t, b, c, sent)

	// charlie is allowed in later; alpha's source is gone: bravo answers.
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
	attachmentOf(t, c, chat.HistoryQuery{Room: "ops"}, sent.ID, false)
	testutil.Eventually(t, testnet.Converge, func() error {
		err := c.Chat().AskAttachTest(ctxT(t), b.Host().ID(), "office", "ops", sent.ID)
		if err != nil && strings.Contains(err.Error(), "does not keep the files") {
			t.Fatalf("bravo, which accepted the copy: %v", err)
		}
		return err
	})
	testutil.Eventually(t, testnet.Converge, func() error {
		if v := attachmentOf(t, c, chat.HistoryQuery{Room: "ops"}, sent.ID, true); v.Attachments[0].CopyFrom != "bravo" {
			return fmt.Errorf("charlie's link: %+v", v.Attachments[0])
		}
		return nil
	})
	res, err := c.Chat().SaveAttachments(ctxT(t), sent.ID, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	checkSaved(t, "charlie", res, content)
}
