package chat_test

import (
	"encoding/hex"
	"errors"
	"slices"
	"testing"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
)

// The writer verifies pushed messages in batches (pushverify.go): in one
// stream, messages with good signatures before and after one with a bad
// signature are judged each on its own: the good one before it is
// stored, the bad one is not, the stream is reset, and the one after it
// (its chain's predecessor refused) is not stored either.
func TestPushBadSignatureAmongGood(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo", "charlie")
	net.Workgroup("office")
	net.WaitOnline("office")
	wg := openRoom(t, net)
	a, c := net.Node("alpha"), net.Node("charlie")
	say(t, a, "general", "first")
	waitTexts(t, net.Nodes, "office", "general", []string{"first"})
	ck, cid := c.Identity().Key, c.Host().ID()
	seq, prev := nextSeq(t, c, wg, "general", cid)
	var raws [][]byte
	for i, text := range []string{"good-before", "bad-sig", "good-after"} {
		raw, id, err := chat.SignTest(ck, chat.TestBody{Workgroup: wg, Room: "general", Kind: chat.KindText, Text: text, Author: cid, Seq: seq + uint64(i), Prev: prev, HLC: hlcNow()}, text == "bad-sig")
		if err != nil {
			t.Fatal(err)
		}
		if text == "bad-sig" { // the next one chains to the message as signed
			_, id, _ = chat.SignTest(ck, chat.TestBody{Workgroup: wg, Room: "general", Kind: chat.KindText, Text: text, Author: cid, Seq: seq + uint64(i), Prev: prev, HLC: hlcNow()}, false)
		}
		if prev, err = hex.DecodeString(id); err != nil {
			t.Fatal(err)
		}
		raws = append(raws, raw)
	}
	verified := a.Chat().VerifiedCount()
	if err := chat.PushRaw(ctxT(t), c.Host(), a.Host().ID(), false, raws...); !errors.Is(err, network.ErrReset) {
		t.Fatalf("push of a bad signature among good ones: %v, want the stream reset", err)
	}
	waitTexts(t, []*testnet.Node{a}, "office", "general", []string{"first", "good-before"})
	if got := a.Chat().VerifiedCount() - verified; got < 2 {
		t.Errorf("alpha verified %d of the pushed messages, want at least 2", got)
	}
	if got := texts(t, a, "office", "general"); slices.Contains(got, "bad-sig") || slices.Contains(got, "good-after") {
		t.Errorf("alpha stored %v", got)
	}
}
