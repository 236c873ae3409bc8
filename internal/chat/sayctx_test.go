package chat_test

import (
	"context"
	"errors"
	"testing"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
)

// Say's transaction runs without the request's cancellation (no watching
// goroutine per statement), but a request that has already ended still
// stores nothing, and one that has not stores its message.
func TestSayEndedRequest(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha")
	net.Workgroup("office")
	a := net.Nodes[0]
	ctx := ctxT(t)
	if _, err := a.Chat().CreateRoom(ctx, "office", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := a.Chat().Say(ended, "office", "general", "too late", chat.SendOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Say on an ended request: %v, want context.Canceled", err)
	}
	if _, err := a.Chat().Say(ctx, "office", "general", "in time", chat.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := a.Chat().History(ctx, "office", chat.HistoryQuery{Room: "general"})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range got {
		if m.Kind == chat.KindText {
			texts = append(texts, m.Text)
		}
	}
	if len(texts) != 1 || texts[0] != "in time" {
		t.Fatalf("history %q, want only the message said in time", texts)
	}
}
