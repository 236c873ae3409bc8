package chat_test

import (
	"strconv"
	"testing"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
)

// BenchmarkSay: one member's cost of a room message sent through its
// control API (POST /v1/chat/say: HTTP, JSON, sign, store, publish,
// reply), alone in the room, one call at a time as bench/chatload sends.
// cpu-ns/op is the process's CPU per call (the client's side included):
// ns/op is mostly the wait for the commit.
// go test -run '^$' -bench Say -benchmem -cpuprofile /tmp/say.prof ./internal/chat/
func BenchmarkSay(b *testing.B) {
	net := testnet.New(b, "alpha")
	net.Workgroup("office")
	nd := net.Nodes[0]
	if _, err := nd.Chat().CreateRoom(ctxT(b), "office", "bench", "", nil); err != nil {
		b.Fatal(err)
	}
	req := apitypes.ChatSayRequest{Workgroup: "office", Room: "bench", Text: "b 12345 1764530000000000000"}
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		var m chat.Message
		if err := nd.Do("POST", "/v1/chat/say", req, &m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkSyncInSync: one history sync round between two members
// whose copies of a room agree (what each sync at a room join costs when
// nothing is missing: a stream, heads each way).
// go test -run '^$' -bench SyncInSync -benchmem -cpuprofile /tmp/sync.prof ./internal/chat/
func BenchmarkSyncInSync(b *testing.B) {
	net := testnet.New(b, "alpha", "bravo")
	net.Workgroup("office")
	net.WaitOnline("office")
	a, o := net.Nodes[0], net.Nodes[1]
	if _, err := a.Chat().CreateRoom(ctxT(b), "office", "bench", "", nil); err != nil {
		b.Fatal(err)
	}
	waitRoom(b, o, "office", "bench")
	if _, err := o.Chat().JoinRoom(ctxT(b), "office", "bench"); err != nil {
		b.Fatal(err)
	}
	var wgs []struct {
		ID string `json:"id"`
	}
	a.Must("GET", "/v1/workgroups", nil, &wgs)
	wg := wgs[0].ID
	b.ReportAllocs()
	for b.Loop() {
		if err := a.Chat().SyncWith(ctxT(b), o.Host().ID(), wg, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHistory: reading a room's last 500 messages (History: the
// API's, the IRC gateway's playback and chathistory).
// go test -run '^$' -bench BenchmarkHistory -benchmem ./internal/chat/
func BenchmarkHistory(b *testing.B) {
	net := testnet.New(b, "alpha")
	net.Workgroup("office")
	nd := net.Nodes[0]
	if _, err := nd.Chat().CreateRoom(ctxT(b), "office", "bench", "", nil); err != nil {
		b.Fatal(err)
	}
	for i := range 500 {
		if _, err := nd.Chat().Say(ctxT(b), "office", "bench", "message "+strconv.Itoa(i), chat.SendOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		ms, err := nd.Chat().History(ctxT(b), "office", chat.HistoryQuery{Room: "bench", Limit: 500})
		if err != nil || len(ms) != 500 {
			b.Fatalf("history: %d messages, %v", len(ms), err)
		}
	}
}
