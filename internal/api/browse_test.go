package api

import (
	"context"
	"sync"
	"testing"

	"github.com/peerhood/peerhood/internal/discovery"
	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Browse asks connected members that are not shown offline for their
// shares, and only those: a member cut off by the network keeps a
// connection that looks open, and asking it would hold browse for the
// whole timeout.
func TestFillSharesAsksOnlyReachableMembers(t *testing.T) {
	entries := []discovery.Entry{
		{Member: workgroup.Member{Name: "online"}, Presence: presence.Online, Link: "direct"},
		{Member: workgroup.Member{Name: "busy"}, Presence: presence.Busy, Link: "relayed"},
		{Member: workgroup.Member{Name: "cutoff"}, Presence: presence.Offline, Link: "direct"},
		{Member: workgroup.Member{Name: "away"}, Presence: presence.Away},
	}
	var mu sync.Mutex
	asked := map[string]bool{}
	fillShares(context.Background(), entries, func(ctx context.Context, m workgroup.Member) ([]share.ShareInfo, error) {
		mu.Lock()
		asked[m.Name] = true
		mu.Unlock()
		return []share.ShareInfo{{Name: "docs-" + m.Name}}, nil
	})
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
