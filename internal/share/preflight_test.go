package share

import (
	"strings"
	"testing"

	"github.com/peerhood/peerhood/internal/workgroup"
)

// Preflight asks a connected member whether this node may write into its
// share: yes for a writer, "read-only" for a reader, "no share" for a
// share it may not see; a member not connected is not asked (nil).
func TestPreflight(t *testing.T) {
	e := newEnv(t, Rule{Who: "*", Right: "ro"}, Rule{Who: "alice", Right: "rw"}, Rule{Who: "eve", Right: RightNone})
	srv, _ := e.dir.ByName(testWG, "srv")
	tests := []struct {
		who, share, want string
	}{
		{"alice", "docs", ""},
		{"carol", "docs", "read-only for you"},
		{"eve", "docs", "has no share"},
		{"alice", "nope", "has no share"},
	}
	for _, tc := range tests {
		t.Run(tc.who+"/"+tc.share, func(t *testing.T) {
			c := e.client(tc.who)
			if _, err := c.Shares(e.ctx); err != nil && tc.who != "eve" { // connects
				t.Fatal(err)
			}
			err := New(e.db, c.h, e.dir, nil).Preflight(e.ctx, srv, tc.share)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	// Not connected: not asked.
	stranger := e.client("")
	if err := New(e.db, stranger.h, workgroup.NewStaticDirectory(stranger.h.ID()), nil).Preflight(e.ctx, srv, "nope"); err != nil {
		t.Fatalf("a member not connected: %v", err)
	}
}
