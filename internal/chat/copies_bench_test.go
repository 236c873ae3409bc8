package chat_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
)

// BenchmarkCopyOwner: the inbox's lookup of copies' messages, worst
// case (references no message names: the whole workgroup scanned), over
// a room of PEERHOOD_BENCH_MSGS messages (default 5000) of 100 bytes.
func BenchmarkCopyOwner(b *testing.B) {
	n := envInt("PEERHOOD_BENCH_MSGS", 5000)
	net := testnet.New(b, "alpha")
	net.Workgroup("office")
	a := net.Node("alpha")
	ctx := context.Background()
	if _, err := a.Chat().CreateRoom(ctx, "office", "big", "", nil); err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("x", 100)
	for i := range n {
		if _, err := a.Chat().Say(ctx, "office", "big", fmt.Sprint(i, text), chat.SendOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	ms, err := a.Chat().History(ctx, "office", chat.HistoryQuery{Room: "big", Limit: 1})
	if err != nil || len(ms) != 1 {
		b.Fatal(ms, err)
	}
	wg := ms[0].Workgroup
	// PEERHOOD_BENCH_REFS references looked for at once (default 1).
	var asks []chat.CopyAsk
	for i := range envInt("PEERHOOD_BENCH_REFS", 1) {
		asks = append(asks, chat.CopyAsk{Ref: fmt.Sprintf("chat-attachment:%032x", i)})
	}
	b.ResetTimer()
	for b.Loop() {
		if got, err := a.Chat().CopyOwners(ctx, wg, asks); err != nil || len(got) != 0 {
			b.Fatal(got, err)
		}
	}
}
