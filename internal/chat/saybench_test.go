package chat_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

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

// BenchmarkSayStore: a member's own room message (Service.Say, no HTTP)
// stored in a transaction of its own (own-tx: the path before
// ownsay.go) or by the writer in its batch (writer), the two in the same
// run. alone: one Say after another, nothing received. traffic: the
// shape of one member of 8 at 500 msg/s in all: a Say every 16 ms and 7
// messages received per Say (made-up authors, handed to the writer as
// push would), spread evenly; cpu-us/say is then the process's CPU per
// Say including the 7 received messages' store (and the node's idle
// work), ms/say-p99 the Say's p99 latency.
//
//	go test -run '^$' -bench SayStore -benchtime 300x -count 5 ./internal/chat/
func BenchmarkSayStore(b *testing.B) {
	for _, path := range []string{"own-tx", "writer"} {
		b.Run(path+"/alone", func(b *testing.B) { benchSayStore(b, path == "own-tx", 0) })
		b.Run(path+"/traffic", func(b *testing.B) { benchSayStore(b, path == "own-tx", 7) })
	}
}

func benchSayStore(b *testing.B, ownTx bool, received int) {
	net := testnet.New(b, "alpha")
	net.Workgroup("office")
	nd := net.Nodes[0]
	c := nd.Chat()
	ctx := ctxT(b)
	if _, err := c.CreateRoom(ctx, "office", "bench", "", nil); err != nil {
		b.Fatal(err)
	}
	c.SayOwnTx(ownTx)
	const every = 16 * time.Millisecond
	var feed func(int) bool
	if received > 0 {
		var err error
		if feed, err = c.ReceivedFeed("office", "bench", 7, received*b.N+received); err != nil {
			b.Fatal(err)
		}
	}
	text := "b 12345 1764530000000000000"
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	t0 := time.Now()
	stop := make(chan struct{})
	fed := make(chan struct{})
	if feed != nil {
		go func() { // received messages, evenly spread
			defer close(fed)
			gap := every / time.Duration(received)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(time.Until(t0.Add(time.Duration(i) * gap))):
				}
				if !feed(1) {
					return
				}
			}
		}()
	} else {
		close(fed)
	}
	for i := 0; i < b.N; i++ {
		if feed != nil {
			time.Sleep(time.Until(t0.Add(time.Duration(i)*every + every/2)))
		}
		start := time.Now()
		if _, err := c.Say(ctx, "office", "bench", text, chat.SendOptions{}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	close(stop)
	<-fed
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-us/say")
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "ms/say-p50")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "ms/say-p99")
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
