package discovery

import (
	"context"
	"testing"

	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/tunnel"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Browse fills each reachable member's services beside its shares (both
// lists asked at once, each into its own field); a member that is not
// connected or shown offline lists none, and a nil ServicesFunc fills
// nothing.
func TestBrowseListsServices(t *testing.T) {
	entries := []Entry{
		entry("alpha", presence.Online, "direct"),
		entry("cutoff", presence.Offline, "direct"),
		entry("gone", presence.Online, ""),
	}
	svcs := newServiceLists(nil, func(ctx context.Context, m workgroup.Member) ([]tunnel.ServiceInfo, error) {
		return []tunnel.ServiceInfo{{Name: "ssh-" + m.Name, Kind: tunnel.KindTCP, Right: tunnel.RightUse}}, nil
	})
	shares := newShareLists(nil, func(ctx context.Context, m workgroup.Member) ([]share.ShareInfo, error) {
		return []share.ShareInfo{{Name: "docs-" + m.Name}}, nil
	})
	wait := svcs.start(context.Background(), entries)
	shares.fill(context.Background(), entries)
	wait()
	if l := entries[0].Services; len(l) != 1 || l[0].Name != "ssh-alpha" || l[0].Right != tunnel.RightUse {
		t.Fatalf("alpha's services: %+v", l)
	}
	if len(entries[0].Shares) != 1 {
		t.Fatalf("alpha's shares: %+v", entries[0].Shares)
	}
	for _, e := range entries[1:] {
		if len(e.Services) != 0 {
			t.Errorf("%s lists services %+v", e.Name, e.Services)
		}
	}
	var none *serviceLists = newServiceLists(nil, nil)
	none.start(context.Background(), entries)()
}
