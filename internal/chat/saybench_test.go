package chat_test

import (
	"testing"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
)

// BenchmarkSay: one member's cost of a room message sent through its
// control API (POST /v1/chat/say: HTTP, JSON, sign, store, publish,
// reply), alone in the room, one call at a time as bench/chatload sends.
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
	for b.Loop() {
		var m chat.Message
		if err := nd.Do("POST", "/v1/chat/say", req, &m); err != nil {
			b.Fatal(err)
		}
	}
}
