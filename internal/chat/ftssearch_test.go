package chat_test

import (
	"fmt"
	"testing"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
)

// TestSearchAfterBurst: a search right after a burst (the full-text index
// still waiting for a quiet moment) finds every matching message: History
// brings the index up to date first.
func TestSearchAfterBurst(t *testing.T) {
	net := testnet.New(t, "alpha")
	net.Workgroup("office")
	nd := net.Nodes[0]
	if _, err := nd.Chat().CreateRoom(ctxT(t), "office", "r1", "", nil); err != nil {
		t.Fatal(err)
	}
	const n = 600
	var last chat.Message
	for i := range n {
		m, err := nd.Chat().Say(ctxT(t), "office", "r1", fmt.Sprintf("burst word%d", i), chat.SendOptions{})
		if err != nil {
			t.Fatal(err)
		}
		last = m
	}
	if got := nd.Chat().WorkCounts()["fts_indexed"]; got >= n {
		t.Fatalf("%d indexed before the search: the burst had a quiet moment, the test proves nothing", got)
	}
	ms, err := nd.Chat().History(ctxT(t), "office", chat.HistoryQuery{Room: "r1", Search: "burst", Limit: 2 * n})
	if err != nil || len(ms) != n {
		t.Fatalf("search after the burst: %d messages, %v; want %d", len(ms), err, n)
	}
	ms, err = nd.Chat().History(ctxT(t), "office", chat.HistoryQuery{Room: "r1", Search: fmt.Sprintf("word%d", n-1)})
	if err != nil || len(ms) != 1 || ms[0].ID != last.ID {
		t.Fatalf("search for the last message: %+v, %v", ms, err)
	}
}
