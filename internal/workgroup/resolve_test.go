package workgroup

import (
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	self := peer.ID("self")
	one := NewStaticDirectory(self, Member{Workgroup: "abcdef123456", WorkgroupName: "office", PeerID: self})
	two := NewStaticDirectory(self,
		Member{Workgroup: "abcdef123456", WorkgroupName: "office", PeerID: self},
		Member{Workgroup: "fedcba654321", WorkgroupName: "home", PeerID: self})
	none := NewStaticDirectory(self)
	tests := []struct {
		name    string
		dir     Directory
		arg     string
		wantID  string
		wantErr string
	}{
		{"only one", one, "", "abcdef123456", ""},
		{"none", none, "", "", "in no workgroup"},
		{"several unnamed", two, "", "", "choose one with --workgroup: office (abcdef123456), home (fedcba654321)"},
		{"by name", two, "HOME", "fedcba654321", ""},
		{"by id", two, "abcdef123456", "abcdef123456", ""},
		{"by prefix", two, "fedcba", "fedcba654321", ""},
		{"short prefix", two, "fed", "", "no workgroup"},
		{"unknown", two, "school", "", `no workgroup "school"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolve(tc.dir, tc.arg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want error %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil || got.ID != tc.wantID {
				t.Fatalf("got %+v %v, want %s", got, err, tc.wantID)
			}
		})
	}
}
