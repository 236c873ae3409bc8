package chat_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

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

// TestSearchOfNoWords: a search of only spaces or NULs is no full-text
// search (it was an FTS5 syntax error: a 500), and a NUL between words
// separates them (it ended the FTS5 string: "unterminated string").
func TestSearchOfNoWords(t *testing.T) {
	net := testnet.New(t, "alpha")
	net.Workgroup("office")
	nd := net.Nodes[0]
	if _, err := nd.Chat().CreateRoom(ctxT(t), "office", "r1", "", nil); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"alpha one", "bravo two"} {
		if _, err := nd.Chat().Say(ctxT(t), "office", "r1", text, chat.SendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		search string
		want   int
	}{{" ", 2}, {"\x00", 2}, {" \t\x00 ", 2}, {"alpha\x00one", 1}, {"bravo\x00one", 0}} {
		ms, err := nd.Chat().History(ctxT(t), "office", chat.HistoryQuery{Room: "r1", Search: tc.search})
		if err != nil || len(ms) != tc.want {
			t.Errorf("search %q: %d messages, %v; want %d", tc.search, len(ms), err, tc.want)
		}
	}
}

// BenchmarkSearchAfterBurst: the first search right after a burst of
// PH_BURST (default 10,000) messages said on one node (its full-text
// index still waiting for a quiet moment), against the same search once
// the index is up to date: the one-time catch-up a search pays.
//
//	go test -run '^$' -bench SearchAfterBurst -benchtime 1x -count 3 ./internal/chat/
func BenchmarkSearchAfterBurst(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("PH_BURST")); err == nil && v > 0 {
		n = v
	}
	for range b.N {
		b.StopTimer()
		net := testnet.New(b, "alpha")
		net.Workgroup("office")
		nd := net.Nodes[0]
		ctx := context.Background()
		if _, err := nd.Chat().CreateRoom(ctx, "office", "r1", "", nil); err != nil {
			b.Fatal(err)
		}
		for i := range n {
			if _, err := nd.Chat().Say(ctx, "office", "r1", fmt.Sprintf("burst word%d of a message of a typical length", i), chat.SendOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		before := nd.Chat().WorkCounts()["fts_indexed"]
		q := chat.HistoryQuery{Room: "r1", Search: "word17", Limit: 10}
		b.StartTimer()
		t0 := time.Now()
		ms, err := nd.Chat().History(ctx, "office", q)
		first := time.Since(t0)
		b.StopTimer()
		if err != nil || len(ms) != 1 {
			b.Fatalf("search: %d, %v", len(ms), err)
		}
		t0 = time.Now()
		if _, err := nd.Chat().History(ctx, "office", q); err != nil {
			b.Fatal(err)
		}
		again := time.Since(t0)
		b.ReportMetric(float64(first.Microseconds())/1e3, "first-ms")
		b.ReportMetric(float64(again.Microseconds())/1e3, "again-ms")
		b.ReportMetric(float64(nd.Chat().WorkCounts()["fts_indexed"]-before), "caught-up-rows")
	}
}
