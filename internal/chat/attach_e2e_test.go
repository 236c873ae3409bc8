package chat_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// A message with a file attached (to a room, and to a member) queues a
// copy of the file to the room's members or the member; the message, in
// the recipient's history, names the file with its size, SHA-256 and the
// copy's reference, which is the subject of the recipient's inbox item
// holding the file. A member the room does not allow gets no copy.
// (And POST /v1/chat/read on bravo's room, checkMarkRead, and
// Conversations, checkConversations.)
func TestAttachments(t *testing.T) {
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
	dir := t.TempDir()
	var roomMsg chat.Message
	tests := []struct {
		name, file, content string
		send                func(path string) (chat.Message, error)
		query               chat.HistoryQuery // bravo's view
	}{
		{name: "room", file: "report.txt", content: "quarterly figures",
			send: func(p string) (chat.Message, error) {
				return a.Chat().SayFiles(ctxT(t), "office", "ops", "the report", chat.SendOptions{}, []string{p})
			}, query: chat.HistoryQuery{Room: "ops"}},
		{name: "direct", file: "notes.txt", content: "just for you",
			send: func(p string) (chat.Message, error) {
				return a.Chat().DirectFiles(ctxT(t), "office", "bravo", "", chat.SendOptions{}, []string{p})
			}, query: chat.HistoryQuery{Peer: "alpha"}},
	}
	for _, tc := range tests {
		p := filepath.Join(dir, tc.file)
		if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(tc.content))
		sent, err := tc.send(p)
		if err != nil {
			t.Fatalf("%s: send: %v", tc.name, err)
		}
		if len(sent.Attachments) != 1 {
			t.Fatalf("%s: sent %+v", tc.name, sent)
		}
		if tc.name == "room" {
			roomMsg = sent
		}
		want := apitypes.ChatAttachment{Name: tc.file, Size: uint64(len(tc.content)), Digest: hex.EncodeToString(sum[:]), Ref: sent.Attachments[0].Ref}
		testutil.Eventually(t, testnet.Converge, func() error {
			ms, err := b.Chat().History(ctxT(t), "office", tc.query)
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(ms, func(m chat.Message) bool {
				return m.ID == sent.ID && slices.Equal(m.Attachments, []apitypes.ChatAttachment{want})
			}) {
				return fmt.Errorf("%s: bravo's history lacks the attachment %+v: %+v", tc.name, want, ms)
			}
			var items []apitypes.Item
			b.Must(http.MethodGet, "/v1/inbox", nil, &items)
			if !slices.ContainsFunc(items, func(it apitypes.Item) bool {
				return it.Subject == want.Ref && len(it.Files) == 1 && it.Files[0].Path == tc.file && it.Files[0].Size == want.Size
			}) {
				return fmt.Errorf("%s: bravo's inbox has no copy %s: %+v", tc.name, want.Ref, items)
			}
			return nil
		})
	}
	var items []apitypes.Item
	c.Must(http.MethodGet, "/v1/inbox", nil, &items)
	if len(items) != 0 {
		t.Errorf("charlie (not allowed in ops, not addressed) got copies: %+v", items)
	}
	checkMarkRead(t, b, "ops")
	checkConversations(t, b)
	checkLateJoiner(t, a, b, c, roomMsg, filepath.Join(dir, "report.txt"), "quarterly figures")
}

// checkConversations: bravo's conversations are room ops (a message
// first) and alpha (a direct message after), listed by their latest
// message, oldest first, the newest or oldest Limit, direct ones only
// with Direct.
func checkConversations(t *testing.T, b *testnet.Node) {
	t.Helper()
	name := func(c chat.Conversation) string {
		if c.Room != "" {
			return "#" + c.Room
		}
		return "@" + c.Peer
	}
	for _, tc := range []struct {
		q    chat.ConversationQuery
		want []string
	}{
		{chat.ConversationQuery{}, []string{"#ops", "@alpha"}},
		{chat.ConversationQuery{Limit: 1}, []string{"@alpha"}},
		{chat.ConversationQuery{Limit: 1, Oldest: true}, []string{"#ops"}},
		{chat.ConversationQuery{Direct: true}, []string{"@alpha"}},
		{chat.ConversationQuery{Since: time.Now().Add(time.Hour)}, nil},
	} {
		cs, err := b.Chat().Conversations(ctxT(t), "office", tc.q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range cs {
			got = append(got, name(c))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("conversations %+v: %v, want %v", tc.q, got, tc.want)
		}
	}
}
