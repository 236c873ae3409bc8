package chat_test

import (
	"slices"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/testnet"
)

// When a log's topic lists no peer (gossip lost who subscribed),
// anti-entropy syncs with a connected member instead: for the directory
// any member, for a restricted room only the members its access list
// lets in.
func TestFallbackPeersFollowAccess(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo", "charlie")
	net.Workgroup("office")
	net.WaitOnline("office")
	a, b, c := net.Node("alpha"), net.Node("bravo"), net.Node("charlie")
	wg := wgID(t, a)
	if _, err := a.Chat().CreateRoom(ctxT(t), "office", "secret", "", []string{"bravo"}); err != nil {
		t.Fatal(err)
	}
	waitRoom(t, a, "office", "secret")
	for _, tc := range []struct {
		log  string
		want map[peer.ID]bool
	}{
		{"", map[peer.ID]bool{b.Host().ID(): true, c.Host().ID(): true}},
		{"secret", map[peer.ID]bool{b.Host().ID(): true, c.Host().ID(): false}},
	} {
		got := a.Chat().FallbackPeers(wg, tc.log)
		for p, want := range tc.want {
			if slices.Contains(got, p) != want {
				t.Errorf("log %q: fallback peers %v; %s listed: want %v", tc.log, got, p, want)
			}
		}
		if slices.Contains(got, a.Host().ID()) {
			t.Errorf("log %q: fallback peers list the node itself", tc.log)
		}
	}
}
