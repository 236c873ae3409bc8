package chat_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// A hostile member (charlie: it holds a certificate, so workgroup.Guard
// lets its streams through) attacks alpha over every chat protocol;
// alpha refuses what it must, stays bounded, and keeps serving bravo.
// One network for every part (a network costs seconds under -race).
func TestHostileMember(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo", "charlie")
	net.Workgroup("office")
	net.WaitOnline("office")
	setupRooms(t, net) // general (all), secret (bravo only)
	a := net.Node("alpha")
	say(t, a, "general", "original")
	waitTexts(t, net.Nodes, "office", "general", []string{"original"})
	t.Run("slow push streams", func(t *testing.T) { hostileSlowPush(t, net) })
	t.Run("history requests", func(t *testing.T) { hostileHistory(t, net) })
	t.Run("sequence out of bounds", func(t *testing.T) { hostileSeq(t, net) })
	t.Run("held flood", func(t *testing.T) { hostileHeld(t, net) })
	t.Run("direct messages", func(t *testing.T) { hostileDM(t, net) })
	t.Run("history server", func(t *testing.T) { hostileHistoryServer(t, net) }) // replaces charlie's handler
	t.Run("revoked member", func(t *testing.T) { hostileRevoked(t, net) })       // last: charlie is removed
}

// hostileSlowPush: a push, history or direct-message stream that sends
// nothing, half a length, or a frame a byte at a time is reset once it
// sent no whole frame within its deadline (shortened here); alpha
// meanwhile takes bravo's messages.
func hostileSlowPush(t *testing.T, net *testnet.Net) {
	a, b, c := net.Node("alpha"), net.Node("bravo"), net.Node("charlie")
	a.Chat().SetPushReadIdle(300 * time.Millisecond)
	t.Cleanup(func() { a.Chat().SetPushReadIdle(0) })
	big := binary.AppendUvarint(nil, 20000) // a frame that cannot complete at one byte per 50 ms
	cases := []struct {
		name    string
		proto   protocol.ID
		first   []byte // written at once
		dribble bool   // then one byte every 50 ms until the stream fails
	}{
		{"push: nothing sent", p2p.ProtoChatPush, nil, false},
		{"push: half a length", p2p.ProtoChatPush, []byte{0x80}, false},
		{"push: length then one byte", p2p.ProtoChatPush, []byte{100, 'x'}, false},
		{"push: a byte at a time", p2p.ProtoChatPush, big, true},
		{"history: nothing sent", p2p.ProtoHistory, nil, false},
		{"history: a byte at a time", p2p.ProtoHistory, big, true},
		{"dm: nothing sent", p2p.ProtoDM, nil, false},
		{"dm: a byte at a time", p2p.ProtoDM, big, true},
	}
	for i, x := range cases {
		ctx, cancel := context.WithTimeout(ctxT(t), 20*time.Second)
		st, err := c.Host().NewStream(ctx, a.Host().ID(), x.proto)
		if err != nil {
			cancel()
			t.Fatalf("%s: %v", x.name, err)
		}
		_ = st.SetReadDeadline(time.Now().Add(15 * time.Second))
		if len(x.first) > 0 {
			if _, err := st.Write(x.first); err != nil {
				t.Errorf("%s: write: %v", x.name, err)
			}
		}
		done := make(chan struct{})
		if x.dribble {
			go func() {
				tick := time.NewTicker(50 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-done:
						return
					case <-tick.C:
						if _, err := st.Write([]byte{'x'}); err != nil {
							return
						}
					}
				}
			}()
		}
		_, err = io.Copy(io.Discard, st)
		close(done)
		if !errors.Is(err, network.ErrReset) {
			t.Errorf("%s: %v, want the stream reset", x.name, err)
		}
		_ = st.Reset()
		cancel()
		// Alpha still serves the others.
		text := fmt.Sprintf("after-slow-%d", i)
		say(t, b, "general", text)
		testutil.Eventually(t, testnet.Converge, func() error {
			if got := texts(t, a, "office", "general"); !slices.Contains(got, text) {
				return fmt.Errorf("alpha lacks %q: %v", text, got)
			}
			return nil
		})
	}
}

// hostileHistory: absurd history requests get a clear refusal or a
// bounded answer; a room the asker may not enter and one that does not
// exist get the same refusal (no existence leak).
func hostileHistory(t *testing.T, net *testnet.Net) {
	a, c := net.Node("alpha"), net.Node("charlie")
	wg, aid := wgID(t, a), a.Host().ID()
	many := map[peer.ID]uint64{}
	for len(many) <= 10000 {
		many[randomID(t)] = 1
	}
	var ranges []chat.TestRange
	for range 10000 {
		ranges = append(ranges, chat.TestRange{Author: randomID(t), From: 1, To: math.MaxUint64})
	}
	cases := []struct {
		name, op, log string
		wg            string
		heads         map[peer.ID]uint64
		ranges        []chat.TestRange
		wantErr       string // "" : answered
		wantMsgs      int    // at least
	}{
		{"range up to 2^64-1", "get", "general", wg, nil, []chat.TestRange{{Author: aid, From: 1, To: math.MaxUint64}}, "", 1},
		{"range up to 2^63", "get", "general", wg, nil, []chat.TestRange{{Author: aid, From: 1, To: 1 << 63}}, "", 1},
		{"range from beyond 2^63", "get", "general", wg, nil, []chat.TestRange{{Author: aid, From: 1 << 63, To: math.MaxUint64}}, "", 0},
		{"range from 0", "get", "general", wg, nil, []chat.TestRange{{Author: aid, From: 0, To: 5}}, "bad range", 0},
		{"range backwards", "get", "general", wg, nil, []chat.TestRange{{Author: aid, From: 5, To: 4}}, "bad range", 0},
		{"10,000 ranges of unknown authors", "get", "general", wg, nil, ranges, "", 0},
		{"10,001 heads", "heads", "general", wg, many, nil, "too many heads or ranges", 0},
		{"room not allowed", "get", "secret", wg, nil, []chat.TestRange{{Author: aid, From: 1, To: 10}}, "not allowed in that room", 0},
		{"room that does not exist", "get", "nosuch", wg, nil, []chat.TestRange{{Author: aid, From: 1, To: 10}}, "not allowed in that room", 0},
		{"heads of a room not allowed", "heads", "secret", wg, nil, nil, "not allowed in that room", 0},
		{"heads of a room that does not exist", "heads", "nosuch", wg, nil, nil, "not allowed in that room", 0},
		{"another workgroup", "get", "general", "not-" + wg, nil, []chat.TestRange{{Author: aid, From: 1, To: 10}}, "not a member of that workgroup", 0},
		{"unknown op", "drop", "general", wg, nil, nil, `unknown op "drop"`, 0},
	}
	for _, x := range cases {
		start := time.Now()
		_, msgs, errText, err := chat.AskHistory(ctxT(t), c.Host(), aid, x.op, x.wg, x.log, x.heads, x.ranges)
		t.Logf("%s: answered in %v", x.name, time.Since(start).Round(time.Microsecond))
		if err != nil {
			t.Errorf("%s: %v", x.name, err)
			continue
		}
		if errText != x.wantErr {
			t.Errorf("%s: refusal %q, want %q", x.name, errText, x.wantErr)
		}
		if len(msgs) < x.wantMsgs || (x.wantErr != "" && len(msgs) > 0) {
			t.Errorf("%s: %d messages, want at least %d", x.name, len(msgs), x.wantMsgs)
		}
	}
}

// randomID is a valid peer ID (an identity multihash of random bytes).
func randomID(t *testing.T) peer.ID {
	b := make([]byte, 34)
	b[0], b[1] = 0x00, 32
	if _, err := rand.Read(b[2:]); err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// hostileSeq: a message whose seq does not fit SQLite's integer (2^63
// and above) is refused as malformed (its push stream reset; before,
// it was held, and SQLite's driver refusing the seq failed the whole
// write batch it was in), and charlie's next message is stored.
func hostileSeq(t *testing.T, net *testnet.Net) {
	a, c := net.Node("alpha"), net.Node("charlie")
	wg, cid := wgID(t, a), c.Host().ID()
	prev := make([]byte, 32)
	for i, s := range []uint64{1 << 63, math.MaxUint64} {
		raw, err := chat.SignUnchecked(c.Identity().Key, chat.TestBody{Workgroup: wg, Room: "general", Kind: chat.KindText, Text: fmt.Sprintf("huge-%d", i), Author: cid, Seq: s, Prev: prev, HLC: hlcNow()})
		if err != nil {
			t.Fatal(err)
		}
		if err := chat.PushRaw(ctxT(t), c.Host(), a.Host().ID(), false, raw); !errors.Is(err, network.ErrReset) {
			t.Errorf("seq %d: %v, want the stream reset", s, err)
		}
	}
	if got := a.Chat().HeldSeqs(ctxT(t), wg, "general")[cid]; len(got) != 0 {
		t.Errorf("alpha holds %v of charlie", got)
	}
	say(t, c, "general", "seq-marker")
	testutil.Eventually(t, testnet.Converge, func() error {
		if got := texts(t, a, "office", "general"); !slices.Contains(got, "seq-marker") {
			return fmt.Errorf("alpha lacks the marker: %v", got)
		}
		return nil
	})
}

func signT(t *testing.T, nd *testnet.Node, bd chat.TestBody) []byte {
	t.Helper()
	raw, _, err := chat.SignTest(nd.Identity().Key, bd, false)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// hostileHeld: charlie pushes messages far ahead of its chain (a gap
// that never fills), in ascending and in descending order: alpha holds
// at most its cap of them (set to 16 here), the lowest seqs (those
// released first), and still stores charlie's next real message.
func hostileHeld(t *testing.T, net *testnet.Net) {
	a, c := net.Node("alpha"), net.Node("charlie")
	wg, cid := wgID(t, a), c.Host().ID()
	const heldCap, sent = 16, 40
	a.Chat().SetHeldCap(heldCap)
	t.Cleanup(func() { a.Chat().SetHeldCap(4096) })
	if _, err := a.Chat().CreateRoom(ctxT(t), "office", "flood", "", nil); err != nil {
		t.Fatal(err)
	}
	waitRoom(t, c, "office", "flood")
	cases := []struct {
		name, room string
		descending bool
	}{
		{"ascending", "general", false},
		{"descending", "flood", true},
	}
	for _, x := range cases {
		seq, _ := nextSeq(t, c, wg, x.room, cid)
		far := seq + 1000
		var raws [][]byte
		for i := range uint64(sent) {
			s := far + i
			if x.descending {
				s = far + sent - 1 - i
			}
			prev := make([]byte, 32)
			prev[0] = byte(i)
			raws = append(raws, signT(t, c, chat.TestBody{Workgroup: wg, Room: x.room, Kind: chat.KindText, Text: fmt.Sprintf("ahead-%d", s), Author: cid, Seq: s, Prev: prev, HLC: hlcNow()}))
		}
		// A few frames a stream: each lands in its own write batch, so
		// the cap is met across batches as well as within one.
		for i := 0; i < len(raws); i += 8 {
			if err := chat.PushRaw(ctxT(t), c.Host(), a.Host().ID(), false, raws[i:min(i+8, len(raws))]...); err != nil {
				t.Fatalf("%s: push: %v", x.name, err)
			}
		}
		var want []uint64
		for i := range uint64(heldCap) {
			want = append(want, far+i)
		}
		testutil.Eventually(t, testnet.Converge, func() error {
			got := slices.Sorted(slices.Values(a.Chat().HeldSeqs(ctxT(t), wg, x.room)[cid]))
			if !slices.Equal(got, want) {
				return fmt.Errorf("%s: alpha holds %d of charlie's: %v, want %v", x.name, len(got), got, want)
			}
			return nil
		})
		text := "after-flood-" + x.name
		if _, err := c.Chat().Say(ctxT(t), "office", x.room, text, chat.SendOptions{}); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, testnet.Converge, func() error {
			if got := texts(t, a, "office", x.room); !slices.Contains(got, text) {
				return fmt.Errorf("alpha lacks %q", text)
			}
			return nil
		})
	}
}

// hostileDM: over /peerhood/dm/1 alpha takes only a direct message whose
// author is the stream's peer, addressed to alpha, in a workgroup both
// are in; the others are refused (and not stored), the valid one stored
// once even when replayed.
func hostileDM(t *testing.T, net *testnet.Net) {
	a, b, c := net.Node("alpha"), net.Node("bravo"), net.Node("charlie")
	wg, aid, bid, cid := wgID(t, a), a.Host().ID(), b.Host().ID(), c.Host().ID()
	valid := signT(t, c, chat.TestBody{Workgroup: wg, To: aid, Kind: chat.KindText, Text: "dm-valid", Author: cid, Seq: 1, HLC: hlcNow()})
	cases := []struct {
		name    string
		raw     []byte
		refused bool
	}{
		{"another member's message (bravo's, relayed by charlie)", signT(t, b, chat.TestBody{Workgroup: wg, To: aid, Kind: chat.KindText, Text: "dm-of-bravo", Author: bid, Seq: 1, HLC: hlcNow()}), true},
		{"addressed to another member", signT(t, c, chat.TestBody{Workgroup: wg, To: bid, Kind: chat.KindText, Text: "dm-to-bravo", Author: cid, Seq: 1, HLC: hlcNow()}), true},
		{"another workgroup", signT(t, c, chat.TestBody{Workgroup: "not-" + wg, To: aid, Kind: chat.KindText, Text: "dm-other-wg", Author: cid, Seq: 1, HLC: hlcNow()}), true},
		{"a room message", signT(t, c, chat.TestBody{Workgroup: wg, Room: "general", Kind: chat.KindText, Text: "dm-room", Author: cid, Seq: 1, HLC: hlcNow()}), true},
		{"valid", valid, false},
		{"valid, replayed", valid, false},
	}
	for _, x := range cases {
		err := c.Chat().DirectRaw(ctxT(t), aid, x.raw)
		if x.refused && (err == nil || !strings.Contains(err.Error(), "refused")) {
			t.Errorf("%s: %v, want a refusal", x.name, err)
		}
		if !x.refused && err != nil {
			t.Errorf("%s: %v", x.name, err)
		}
	}
	want := []string{"text:charlie:dm-valid"}
	waitConversation(t, a, "charlie", want)
	if got := conversation(t, a, "bravo"); len(got) != 0 {
		t.Errorf("alpha's conversation with bravo: %v, want none", got)
	}
}

// hostileHistoryServer: charlie answers alpha's history sync with what a
// hostile server may send: replays of messages alpha stored (another
// author's and alpha's own), messages of another workgroup or of a room
// the reply is not about, a bad signature, bytes that are no message, too
// many heads. Alpha stores none of it (a bad message fails the whole
// reply, the others are skipped) and its general log is unchanged.
func hostileHistoryServer(t *testing.T, net *testnet.Net) {
	a, b, c := net.Node("alpha"), net.Node("bravo"), net.Node("charlie")
	wg, aid, bid, cid := wgID(t, a), a.Host().ID(), b.Host().ID(), c.Host().ID()
	ms, err := a.Chat().History(ctxT(t), "office", chat.HistoryQuery{Room: "general", Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	var own, bravos []byte
	for _, m := range ms {
		if m.Kind != chat.KindText || (m.AuthorID != aid.String() && m.AuthorID != bid.String()) {
			continue
		}
		raw, err := a.Chat().RawOf(ctxT(t), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.AuthorID == aid.String() {
			own = raw
		} else {
			bravos = raw
		}
	}
	if own == nil || bravos == nil {
		t.Fatal("no message of alpha or bravo in general")
	}
	seq, prev := nextSeq(t, c, wg, "general", cid)
	badSig, _, err := chat.SignTest(c.Identity().Key, chat.TestBody{Workgroup: wg, Room: "general", Kind: chat.KindText, Text: "bad-sig", Author: cid, Seq: seq, Prev: prev, HLC: hlcNow()}, true)
	if err != nil {
		t.Fatal(err)
	}
	claim := []chat.TestRange{{Author: aid, To: 1 << 40}, {Author: bid, To: 1 << 40}, {Author: cid, To: seq + 10}}
	var many []chat.TestRange
	for range 10001 {
		many = append(many, chat.TestRange{Author: randomID(t), To: 1})
	}
	cases := []struct {
		name    string
		heads   []chat.TestRange
		msgs    [][]byte
		wantErr string // a substring; "" : the sync ends without error
	}{
		{"another author's message replayed", claim, [][]byte{bravos}, ""},
		{"alpha's own message replayed", claim, [][]byte{own}, ""},
		{"another workgroup", claim, [][]byte{signT(t, c, chat.TestBody{Workgroup: "not-" + wg, Room: "general", Kind: chat.KindText, Text: "other-wg", Author: cid, Seq: 1, HLC: hlcNow()})}, ""},
		{"another room", claim, [][]byte{signT(t, c, chat.TestBody{Workgroup: wg, Room: "flood", Kind: chat.KindText, Text: "other-room", Author: cid, Seq: 1, HLC: hlcNow()})}, ""},
		{"a direct message", claim, [][]byte{signT(t, c, chat.TestBody{Workgroup: wg, To: aid, Kind: chat.KindText, Text: "dm-in-history", Author: cid, Seq: 1, HLC: hlcNow()})}, ""},
		{"bad signature", claim, [][]byte{badSig}, "history from"},
		{"not a message", claim, [][]byte{[]byte("junk")}, "history from"},
		{"10,001 heads", many, nil, "too many heads"},
	}
	before := texts(t, a, "office", "general")
	for _, x := range cases {
		chat.ServeFakeHistory(c.Host(), x.heads, x.msgs)
		err := a.Chat().SyncWith(ctxT(t), cid, wg, "general")
		switch {
		case x.wantErr == "" && err != nil:
			t.Errorf("%s: %v", x.name, err)
		case x.wantErr != "" && (err == nil || !strings.Contains(err.Error(), x.wantErr)):
			t.Errorf("%s: %v, want %q", x.name, err, x.wantErr)
		}
	}
	if got := texts(t, a, "office", "general"); !slices.Equal(got, before) {
		t.Errorf("alpha's general: %v, was %v", got, before)
	}
	if got := conversation(t, a, "charlie"); slices.Contains(got, "text:charlie:dm-in-history") {
		t.Errorf("alpha stored a direct message from history: %v", got)
	}
}

// hostileRevoked: once charlie is removed from the workgroup, its valid,
// well-chained messages are refused on every stream (push, direct
// message) and it is served no history; alpha stores nothing of it.
func hostileRevoked(t *testing.T, net *testnet.Net) {
	a, c := net.Node("alpha"), net.Node("charlie")
	wg, aid, cid := wgID(t, a), a.Host().ID(), c.Host().ID()
	seq, prev := nextSeq(t, c, wg, "general", cid)
	a.Must(http.MethodDelete, "/v1/members/charlie?workgroup=office", nil, nil)
	testutil.Eventually(t, testnet.Converge, func() error {
		var ms []struct {
			Name string `json:"name"`
		}
		if err := a.Do(http.MethodGet, "/v1/members?workgroup="+wg, nil, &ms); err != nil {
			return err
		}
		for _, m := range ms {
			if m.Name == "charlie" {
				return errors.New("alpha still lists charlie")
			}
		}
		return nil
	})
	push := signT(t, c, chat.TestBody{Workgroup: wg, Room: "general", Kind: chat.KindText, Text: "from-revoked", Author: cid, Seq: seq, Prev: prev, HLC: hlcNow()})
	dm := signT(t, c, chat.TestBody{Workgroup: wg, To: aid, Kind: chat.KindText, Text: "dm-from-revoked", Author: cid, Seq: 1, HLC: hlcNow()})
	// taken reports what alpha took of each: nil when it refused.
	cases := []struct {
		name  string
		taken func() error
	}{
		{"push", func() error {
			if chat.PushRaw(ctxT(t), c.Host(), aid, false, push) == nil {
				return errors.New("stream kept, every frame read")
			}
			return nil
		}},
		{"direct message", func() error {
			if c.Chat().DirectRaw(ctxT(t), aid, dm) == nil {
				return errors.New("taken")
			}
			return nil
		}},
		{"history", func() error {
			_, msgs, errText, err := chat.AskHistory(ctxT(t), c.Host(), aid, "get", wg, "general", nil, []chat.TestRange{{Author: aid, From: 1, To: 100}})
			if err == nil && errText == "" {
				return fmt.Errorf("served %d messages", len(msgs))
			}
			return nil
		}},
	}
	for _, x := range cases {
		if err := x.taken(); err != nil {
			t.Errorf("%s from a removed member: %v", x.name, err)
		}
	}
	if got := texts(t, a, "office", "general"); slices.Contains(got, "from-revoked") {
		t.Errorf("alpha stored the removed member's message: %v", got)
	}
}
