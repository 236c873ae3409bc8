package chat_test

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// wgID is the ID of workgroup "office" as nd knows it.
func wgID(t testing.TB, nd *testnet.Node) string {
	t.Helper()
	var wgs []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	nd.Must(http.MethodGet, "/v1/workgroups", nil, &wgs)
	for _, w := range wgs {
		if w.Name == "office" {
			return w.ID
		}
	}
	t.Fatalf("%s is not in office", nd.Name)
	return ""
}

// nextSeq is the next sequence number and previous hash of author's
// chain in a log, as nd holds it.
func nextSeq(t *testing.T, nd *testnet.Node, wg, log string, author peer.ID) (uint64, []byte) {
	t.Helper()
	hs, err := nd.Chat().Heads(ctxT(t), wg, log)
	if err != nil {
		t.Fatal(err)
	}
	seq := hs[author]
	if seq == 0 {
		return 1, nil
	}
	ms, err := nd.Chat().History(ctxT(t), wg, chat.HistoryQuery{Room: log, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.AuthorID == author.String() && m.Seq == seq {
			return seq + 1, hexBytes(t, m.ID)
		}
	}
	t.Fatalf("no head message of %s", author)
	return 0, nil
}

func hexBytes(t *testing.T, s string) []byte {
	t.Helper()
	var b []byte
	if _, err := fmt.Sscanf(s, "%x", &b); err != nil {
		t.Fatal(err)
	}
	return b
}

// setupRooms makes alpha create an open room general (everyone joins)
// and a room secret only bravo may enter (bravo joins).
func setupRooms(t *testing.T, net *testnet.Net) {
	t.Helper()
	a := net.Node("alpha")
	if _, err := a.Chat().CreateRoom(ctxT(t), "office", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Chat().CreateRoom(ctxT(t), "office", "secret", "", []string{"bravo"}); err != nil {
		t.Fatal(err)
	}
	for _, nd := range net.Nodes[1:] {
		waitRoom(t, nd, "office", "secret")
		if _, err := nd.Chat().JoinRoom(ctxT(t), "office", "general"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := net.Node("bravo").Chat().JoinRoom(ctxT(t), "office", "secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Node("charlie").Chat().JoinRoom(ctxT(t), "office", "secret"); err == nil {
		t.Fatal("charlie joined a room that does not allow it")
	}
}

// Forged, replayed, out-of-room and non-member messages are refused:
// charlie (a member) publishes them straight on the topics; alpha and
// bravo store none of them, and a valid message sent after them arrives.
// The history protocol refuses charlie a room it is not allowed in.
func TestRefusedMessages(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo", "charlie")
	net.Workgroup("office")
	net.WaitOnline("office")
	setupRooms(t, net)
	a, b, c := net.Node("alpha"), net.Node("bravo"), net.Node("charlie")
	wg := wgID(t, a)
	if _, err := a.Chat().Say(ctxT(t), "office", "general", "original", chat.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	waitTexts(t, net.Nodes, "office", "general", []string{"original"})

	ck, aid, cid := c.Identity().Key, a.Host().ID(), c.Host().ID()
	seq, prev := nextSeq(t, c, wg, "general", cid)
	stranger, _, _ := crypto.GenerateEd25519Key(rand.Reader)
	strangerID, _ := peer.IDFromPrivateKey(stranger)
	sign := func(key crypto.PrivKey, bd chat.TestBody, bad bool) []byte {
		raw, _, err := chat.SignTest(key, bd, bad)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	bad := []struct {
		name, log string
		raw       []byte
	}{
		{"forged author", "general", sign(ck, chat.TestBody{Workgroup: wg, Room: "general", Kind: chat.KindText, Text: "forged-author", Author: aid, Seq: 99, Prev: make([]byte, 32), HLC: 1}, false)},
		{"bad signature", "general", sign(ck, chat.TestBody{Workgroup: wg, Room: "general", Kind: chat.KindText, Text: "bad-sig", Author: cid, Seq: seq, Prev: prev, HLC: 1}, true)},
		{"out of room", "secret", sign(ck, chat.TestBody{Workgroup: wg, Room: "secret", Kind: chat.KindText, Text: "out-of-room", Author: cid, Seq: 1, HLC: 1}, false)},
		{"non-member", "general", sign(stranger, chat.TestBody{Workgroup: wg, Room: "general", Kind: chat.KindText, Text: "non-member", Author: strangerID, Seq: 1, HLC: 1}, false)},
		{"other log", "general", sign(ck, chat.TestBody{Workgroup: wg, Room: "secret", Kind: chat.KindText, Text: "other-log", Author: cid, Seq: 1, HLC: 1}, false)},
	}
	for _, x := range bad {
		if err := c.Chat().PublishRaw(ctxT(t), wg, x.log, x.raw); err != nil {
			t.Logf("%s: publish: %v", x.name, err)
		}
	}
	// A replay: bravo publishes alpha's message again.
	ms, _ := b.Chat().History(ctxT(t), "office", chat.HistoryQuery{Room: "general"})
	orig := ms[0]
	raws, err := b.Chat().RawOf(ctxT(t), orig.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Chat().PublishRaw(ctxT(t), wg, "general", raws); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chat().Say(ctxT(t), "office", "general", "marker", chat.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	waitTexts(t, []*testnet.Node{a, b}, "office", "general", []string{"original", "marker"})
	for _, nd := range []*testnet.Node{a, b} {
		if got := texts(t, nd, "office", "secret"); len(got) != 0 {
			t.Errorf("%s stored %v in secret", nd.Name, got)
		}
	}
	err = c.Chat().SyncWith(ctxT(t), aid, wg, "secret")
	if err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Errorf("history of secret for charlie: %v, want a refusal", err)
	}
	if err := b.Chat().SyncWith(ctxT(t), aid, wg, "secret"); err != nil {
		t.Errorf("history of secret for bravo: %v", err)
	}
}

// A member removed from the workgroup receives nothing said after its
// removal (neither by gossip nor by history sync), and what it still
// sends is refused by everyone.
func TestRemovedMemberGetsNothing(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo", "charlie", "delta")
	net.Workgroup("office")
	net.WaitOnline("office")
	a, b, d := net.Node("alpha"), net.Node("bravo"), net.Node("delta")
	if _, err := a.Chat().CreateRoom(ctxT(t), "office", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	for _, nd := range net.Nodes[1:] {
		waitRoom(t, nd, "office", "general")
		if _, err := nd.Chat().JoinRoom(ctxT(t), "office", "general"); err != nil {
			t.Fatal(err)
		}
	}
	wg := wgID(t, a)
	if _, err := a.Chat().Say(ctxT(t), "office", "general", "before", chat.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	waitTexts(t, net.Nodes, "office", "general", []string{"before"})
	seq, prev := nextSeq(t, d, wg, "general", d.Host().ID())

	a.Must(http.MethodDelete, "/v1/members/delta?workgroup=office", nil, nil)
	rest := []*testnet.Node{a, b, net.Node("charlie")}
	testutil.Eventually(t, testnet.Converge, func() error {
		for _, nd := range append(rest, d) {
			var ms []struct {
				Name string `json:"name"`
			}
			if err := nd.Do(http.MethodGet, "/v1/members?workgroup="+wg, nil, &ms); err != nil {
				if nd == d {
					continue // delta is told it is out
				}
				return err
			}
			if slices.ContainsFunc(ms, func(m struct {
				Name string `json:"name"`
			}) bool {
				return m.Name == "delta"
			}) {
				return fmt.Errorf("%s still lists delta", nd.Name)
			}
		}
		return nil
	})
	for _, x := range []*testnet.Node{a, b} {
		if _, err := x.Chat().Say(ctxT(t), "office", "general", "after-"+x.Name, chat.SendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	raw, _, err := chat.SignTest(d.Identity().Key, chat.TestBody{Workgroup: wg, Room: "general", Kind: chat.KindText,
		Text: "from-removed", Author: d.Host().ID(), Seq: seq, Prev: prev, HLC: 1}, false)
	if err != nil {
		t.Fatal(err)
	}
	_ = d.Chat().PublishRaw(ctxT(t), wg, "general", raw)
	if err := d.Chat().SyncWith(ctxT(t), a.Host().ID(), wg, "general"); err == nil {
		t.Error("the removed member synced history")
	}
	want := []string{"before", "after-alpha", "after-bravo"}
	waitSame(t, rest, want)
	// A sync round more for everyone, then delta must still hold only
	// what was said before its removal.
	for _, nd := range rest {
		for _, o := range rest {
			if o != nd {
				_ = nd.Chat().SyncWith(ctxT(t), o.Host().ID(), wg, "general")
			}
		}
	}
	waitSame(t, rest, want)
	got, err := d.Chat().LogTexts(ctxT(t), wg, "general")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"before"}) {
		t.Fatalf("removed member holds %v, want only [before]", got)
	}
}
