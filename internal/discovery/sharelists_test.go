package discovery

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/workgroup"
)

func entry(name, state, link string) Entry {
	return Entry{Member: workgroup.Member{Name: name, PeerID: peer.ID(name)}, Presence: state, Link: link}
}

// Browse asks connected members that are not shown offline for their
// shares, and only those: a member cut off by the network keeps a
// connection that looks open, and asking it would hold browse.
func TestBrowseAsksOnlyReachableMembers(t *testing.T) {
	entries := []Entry{
		entry("online", presence.Online, "direct"),
		entry("busy", presence.Busy, "relayed"),
		entry("cutoff", presence.Offline, "direct"),
		entry("away", presence.Away, ""),
	}
	var mu sync.Mutex
	asked := map[string]bool{}
	newShareLists(nil, func(ctx context.Context, m workgroup.Member) ([]share.ShareInfo, error) {
		mu.Lock()
		asked[m.Name] = true
		mu.Unlock()
		return []share.ShareInfo{{Name: "docs-" + m.Name}}, nil
	}).fill(context.Background(), entries)
	want := map[string]bool{"online": true, "busy": true}
	for _, e := range entries {
		if asked[e.Name] != want[e.Name] {
			t.Errorf("%s asked: %v, want %v", e.Name, asked[e.Name], want[e.Name])
		}
		if got := len(e.Shares); (got == 1) != want[e.Name] {
			t.Errorf("%s lists %d shares", e.Name, got)
		}
	}
}

// A member that stops answering does not hold browse past browseWait:
// it is listed with the shares it gave last time, the others with their
// fresh answers, and a second browse does not ask it again while the
// first request is under way.
func TestBrowseDoesNotWaitForASlowMember(t *testing.T) {
	var slow atomic.Bool
	var asks atomic.Int32
	release := make(chan struct{})
	defer close(release)
	lists := newShareLists(nil, func(ctx context.Context, m workgroup.Member) ([]share.ShareInfo, error) {
		if m.Name == "slow" {
			asks.Add(1)
			if slow.Load() {
				select {
				case <-release:
				case <-ctx.Done():
				}
				return nil, ctx.Err()
			}
		}
		return []share.ShareInfo{{Name: "docs-" + m.Name}}, nil
	})
	browse := func() ([]Entry, time.Duration) {
		es := []Entry{entry("slow", presence.Online, "direct"), entry("quick", presence.Online, "direct")}
		t0 := time.Now()
		lists.fill(context.Background(), es)
		return es, time.Since(t0)
	}
	if es, _ := browse(); len(es[0].Shares) != 1 {
		t.Fatalf("first browse: %+v", es)
	}
	slow.Store(true)
	for i := 0; i < 2; i++ {
		es, took := browse()
		if took > browseWait+500*time.Millisecond {
			t.Fatalf("browse %d took %s with one member not answering", i, took)
		}
		if len(es[0].Shares) != 1 || es[0].Shares[0].Name != "docs-slow" {
			t.Fatalf("browse %d: slow member lists %+v, want its last known shares", i, es[0].Shares)
		}
		if len(es[1].Shares) != 1 {
			t.Fatalf("browse %d: quick member lists %+v", i, es[1].Shares)
		}
	}
	if n := asks.Load(); n != 2 {
		t.Fatalf("slow member asked %d times, want 2 (the second browse joins the request under way)", n)
	}
}
