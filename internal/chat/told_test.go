package chat_test

import (
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
)

// A member that asked another's heads sent its own along: the other
// does not run a sync with it asked for before then (it would find
// nothing), runs one asked for after, and runs it whenever the asker
// had something it lacks (then fetching it: alpha, which took no gossip
// from the others, has charlie's message after that sync).
func TestSyncToldSkipsOnlyWhatItCovers(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo", "charlie")
	net.Workgroup("office")
	net.WaitOnline("office")
	a, b, c := net.Node("alpha"), net.Node("bravo"), net.Node("charlie")
	wg := wgID(t, a)
	if _, err := a.Chat().CreateRoom(ctxT(t), "office", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	for _, nd := range net.Nodes[1:] {
		waitRoom(t, nd, "office", "general")
		if _, err := nd.Chat().JoinRoom(ctxT(t), "office", "general"); err != nil {
			t.Fatal(err)
		}
	}
	topic := chat.Topic(wg, "general")
	for _, nd := range net.Nodes {
		for _, o := range net.Nodes {
			if o != nd {
				waitSubscribed(t, []*testnet.Node{nd}, topic, o.Host().ID(), true)
			}
		}
	}
	sync := func(from, with *testnet.Node) {
		t.Helper()
		if err := from.Chat().SyncWith(ctxT(t), with.Host().ID(), wg, "general"); err != nil {
			t.Fatal(err)
		}
	}
	asked := time.Now()
	bw := b.Chat().WorkCounts()
	sync(b, a) // bravo asks alpha, with its heads: it has nothing alpha lacks
	if bw2 := b.Chat().WorkCounts(); bw2["sync_rounds"] == bw["sync_rounds"] || bw2["sync_held"] != bw["sync_held"] {
		t.Fatalf("bravo's sync that found nothing: rounds %d -> %d, chat_held reads %d -> %d; want a round and no read",
			bw["sync_rounds"], bw2["sync_rounds"], bw["sync_held"], bw2["sync_held"])
	}
	if a.Chat().SyncAskedAt(wg, "general", b.Host().ID(), asked) {
		t.Fatal("alpha ran a sync with bravo asked for before bravo showed it had nothing new")
	}
	if !a.Chat().SyncAskedAt(wg, "general", b.Host().ID(), time.Now().Add(time.Hour)) { // after any report
		t.Fatal("alpha skipped a sync with bravo asked for after bravo's heads came")
	}
	// alpha takes no gossip from charlie or bravo: charlie's message reaches bravo only.
	a.Chat().CutOff(func(p peer.ID) bool { return p == c.Host().ID() || p == b.Host().ID() })
	if _, err := c.Chat().Say(ctxT(t), "office", "general", "while alpha was away", chat.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	waitTexts(t, []*testnet.Node{b}, "office", "general", []string{"while alpha was away"})
	// Counted from before the cut ends: once it does, alpha's periodic
	// sync (every 3 s here) may fetch the message before the sync below,
	// which then has nothing to fetch; whichever sync fetches it must
	// look at what alpha holds. (Gossip may bring it too, after the cut:
	// then no sync fetched it and there is nothing to check.)
	aw := a.Chat().WorkCounts()
	a.Chat().CutOff(nil)
	asked = time.Now()
	sync(b, a) // bravo's heads show charlie's message, which alpha lacks: no report
	a.Chat().SyncAskedAt(wg, "general", b.Host().ID(), asked)
	if got := texts(t, a, "office", "general"); !slices.Equal(got, []string{"while alpha was away"}) {
		t.Fatalf("alpha has %q after the sync", got)
	}
	aw2 := a.Chat().WorkCounts()
	if aw2["fetched"] == aw["fetched"] {
		t.Log("charlie's message reached alpha by gossip once the cut ended: no sync fetched it")
	} else if aw2["sync_held"] == aw["sync_held"] {
		t.Fatal("alpha's sync that had something to fetch did not look at what it holds")
	}
}
