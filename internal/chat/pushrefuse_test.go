package chat_test

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// Push streams and frames a node refuses: a non-member's stream is reset
// before any frame is read; a member's frame carrying another author's
// message (forged or replayed), a bad signature, a directory entry, a
// malformed or oversized frame resets the stream; a message of a room
// its author may not enter, or one held already, is dropped. None is
// stored. A member removed from a room's allow list is pushed nothing
// after its removal, and what it pushes there is refused.
func TestPushRefused(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo", "charlie")
	net.Workgroup("office")
	net.WaitOnline("office")
	setupRooms(t, net) // general (all), secret (bravo only)
	a, b, c := net.Node("alpha"), net.Node("bravo"), net.Node("charlie")
	ctx := ctxT(t)
	wg := wgID(t, a)
	say(t, a, "general", "original")
	waitTexts(t, net.Nodes, "office", "general", []string{"original"})

	// A stranger (no certificate) opens a push stream to alpha.
	sk, _, _ := crypto.GenerateEd25519Key(rand.Reader)
	stranger, err := p2p.New(p2p.Config{Key: sk, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stranger.Close() })
	if _, err := stranger.Connect(ctx, a.Addr()); err != nil {
		t.Fatal(err)
	}
	sid := stranger.ID()
	strangerMsg, _, _ := chat.SignTest(sk, chat.TestBody{Workgroup: wg, Room: "general", Kind: chat.KindText, Text: "stranger", Author: sid, Seq: 1, HLC: 1}, false)
	read0 := a.Chat().PushFramesIn()
	if err := chat.PushRaw(ctx, stranger, a.Host().ID(), false, strangerMsg); err == nil {
		t.Error("stranger's push stream was taken")
	}
	// The connection may be cut too (the gate): either way alpha read no frame.
	if n := a.Chat().PushFramesIn() - read0; n != 0 {
		t.Errorf("alpha read %d frames of a non-member's stream", n)
	}

	ck, cid := c.Identity().Key, c.Host().ID()
	sign := func(bd chat.TestBody, bad bool) []byte {
		raw, _, err := chat.SignTest(ck, bd, bad)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	seq, prev := nextSeq(t, c, wg, "general", cid)
	origRaw, err := b.Chat().RawOf(ctx, texts2IDs(t, b, "general")[0])
	if err != nil {
		t.Fatal(err)
	}
	resets := []struct {
		name  string
		raw   []byte
		frame bool // raw is the whole frame
	}{
		{"forged author", sign(chat.TestBody{Workgroup: wg, Room: "general", Kind: chat.KindText, Text: "forged-author", Author: a.Host().ID(), Seq: 99, Prev: make([]byte, 32), HLC: 1}, false), false},
		{"other author's message replayed", origRaw, false},
		{"bad signature", sign(chat.TestBody{Workgroup: wg, Room: "general", Kind: chat.KindText, Text: "bad-sig", Author: cid, Seq: seq, Prev: prev, HLC: 1}, true), false},
		{"directory entry", sign(chat.TestBody{Workgroup: wg, Room: "general", Kind: chat.KindTopic, Text: "dir", Author: cid, Seq: 1, HLC: 1}, false), false},
		{"malformed", []byte("not a message at all"), false},
		{"oversized", binary.AppendUvarint(nil, 1<<20), true},
		{"zero length", []byte{0}, true},
	}
	for _, x := range resets {
		if err := chat.PushRaw(ctx, c.Host(), a.Host().ID(), x.frame, x.raw); !errors.Is(err, network.ErrReset) {
			t.Errorf("%s: %v, want the stream reset", x.name, err)
		}
	}
	// Dropped, the stream kept: the marker after them is taken.
	replay := sign(chat.TestBody{Workgroup: wg, Room: "general", Kind: chat.KindText, Text: "marker", Author: cid, Seq: seq, Prev: prev, HLC: hlcNow()}, false)
	outOfRoom := sign(chat.TestBody{Workgroup: wg, Room: "secret", Kind: chat.KindText, Text: "out-of-room", Author: cid, Seq: 1, HLC: 1}, false)
	for _, to := range []*testnet.Node{a, b} {
		if err := chat.PushRaw(ctx, c.Host(), to.Host().ID(), false, outOfRoom, replay, replay); err != nil {
			t.Errorf("dropped frames to %s: %v, want the stream kept", to.Name, err)
		}
	}
	waitTexts(t, net.Nodes, "office", "general", []string{"original", "marker"})
	for _, nd := range []*testnet.Node{a, b} {
		if got := texts(t, nd, "office", "secret"); len(got) != 0 {
			t.Errorf("%s stored %v in secret", nd.Name, got)
		}
	}

	// Room team lets bravo and charlie in, then only bravo.
	if _, err := a.Chat().CreateRoom(ctx, "office", "team", "", []string{"bravo", "charlie"}); err != nil {
		t.Fatal(err)
	}
	for _, nd := range []*testnet.Node{b, c} {
		waitRoom(t, nd, "office", "team")
		if _, err := nd.Chat().JoinRoom(ctx, "office", "team"); err != nil {
			t.Fatal(err)
		}
	}
	waitTopicPeers(t, a, wg, "team", b, c)
	say(t, a, "team", "t1")
	waitTexts(t, net.Nodes, "office", "team", []string{"t1"})
	cseq, cprev := nextSeq(t, c, wg, "team", cid)
	if _, err := a.Chat().SetAllow(ctx, "office", "team", []string{"bravo"}); err != nil {
		t.Fatal(err)
	}
	say(t, a, "team", "t2")
	waitTexts(t, []*testnet.Node{a, b}, "office", "team", []string{"t1", "t2"})
	// bravo knows of the removal (the acl entry goes by gossip, t2 may
	// have come before it by push).
	testutil.Eventually(t, testnet.Converge, func() error {
		rs, err := b.Chat().Rooms("office")
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Name == "team" && !slices.Equal(r.Allow, []string{"bravo"}) {
				return fmt.Errorf("bravo: team allows %v", r.Allow)
			}
		}
		return nil
	})
	removed := sign(chat.TestBody{Workgroup: wg, Room: "team", Kind: chat.KindText, Text: "from-removed", Author: cid, Seq: cseq, Prev: cprev, HLC: hlcNow()}, false)
	gseq, gprev := nextSeq(t, c, wg, "general", cid)
	marker2 := sign(chat.TestBody{Workgroup: wg, Room: "general", Kind: chat.KindText, Text: "marker2", Author: cid, Seq: gseq, Prev: gprev, HLC: hlcNow()}, false)
	if err := chat.PushRaw(ctx, c.Host(), b.Host().ID(), false, removed, marker2); err != nil {
		t.Errorf("removed author's frames: %v", err)
	}
	waitTexts(t, []*testnet.Node{b}, "office", "general", []string{"original", "marker", "marker2"})
	if got := texts(t, b, "office", "team"); !slices.Equal(got, []string{"t1", "t2"}) {
		t.Errorf("bravo holds %v in team, want [t1 t2]", got)
	}
	got, err := c.Chat().LogTexts(ctx, wg, "team")
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(got, "t2") {
		t.Errorf("charlie, removed from team, got %v", got)
	}
}

// texts2IDs is the IDs of a room's messages on nd, in order.
func texts2IDs(t *testing.T, nd *testnet.Node, room string) []string {
	t.Helper()
	ms, err := nd.Chat().History(ctxT(t), "office", chat.HistoryQuery{Room: room})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		if m.Kind == chat.KindText {
			out = append(out, m.ID)
		}
	}
	return out
}

// hlcNow is a clock value past every message sent so far.
func hlcNow() uint64 { return uint64(time.Now().UnixMilli()) << 16 }
