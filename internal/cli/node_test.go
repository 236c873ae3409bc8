package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/apitypes"
)

// Browse explains its "*"; peers name the member behind each peer ID;
// status says the node's name in each workgroup.
func TestHumanOutputNamesThings(t *testing.T) {
	var out bytes.Buffer
	a := NewApp(&out, &out)
	seen := time.Now().Add(-3 * time.Minute)
	a.printBrowse([]apitypes.BrowseEntry{
		{Member: apitypes.Member{Name: "alice", Roles: []string{"admin"}}, Presence: "online", Link: "self"},
		{Member: apitypes.Member{Name: "bob"}, Presence: "offline", LastSeen: &seen},
	})
	a.printPeers([]apitypes.PeerInfo{
		{ID: "12D3KooWbob", Link: "direct", Members: []apitypes.PeerMember{{Name: "bob", WorkgroupName: "office"}}},
		{ID: "12D3KooWcarl", Link: "relayed", Members: []apitypes.PeerMember{{Name: "carl", WorkgroupName: "office"}, {Name: "cc", WorkgroupName: "home"}}},
		{ID: "12D3KooWstranger", Link: "direct"},
	})
	a.printNodeWorkgroups([]apitypes.NodeWorkgroup{{ID: "abc", Name: "office", Self: "laptop", Admin: true, Members: 3}})
	got := out.String()
	for _, want := range []string{
		"alice*", "* admin: may invite", "3m0s ago",
		"MEMBER", "carl@office,cc@home",
		"in       office as laptop (3 members, admin; abc)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, pair := range [][2]string{{"bob", "12D3KooWbob"}, {"-", "12D3KooWstranger"}} {
		found := false
		for _, l := range strings.Split(got, "\n") {
			f := strings.Fields(l)
			found = found || len(f) > 1 && f[0] == pair[0] && f[1] == pair[1]
		}
		if !found {
			t.Errorf("no peers line %q %q:\n%s", pair[0], pair[1], got)
		}
	}
}
