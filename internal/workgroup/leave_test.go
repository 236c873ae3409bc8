package workgroup

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// ResolveFor infers the workgroup from the members a command names when
// the node is in several.
func TestResolveFor(t *testing.T) {
	t.Parallel()
	self := peer.ID("self")
	dir := NewStaticDirectory(self,
		Member{Workgroup: "abcdef123456", WorkgroupName: "office", PeerID: self, Name: "me"},
		Member{Workgroup: "abcdef123456", WorkgroupName: "office", PeerID: "b", Name: "bob"},
		Member{Workgroup: "abcdef123456", WorkgroupName: "office", PeerID: "c", Name: "carol"},
		Member{Workgroup: "fedcba654321", WorkgroupName: "home", PeerID: self, Name: "me"},
		Member{Workgroup: "fedcba654321", WorkgroupName: "home", PeerID: "c", Name: "carol"},
		Member{Workgroup: "fedcba654321", WorkgroupName: "home", PeerID: "d", Name: "dad"})
	for _, tc := range []struct {
		arg     string
		members []string
		wantID  string
		wantErr string
	}{
		{"", []string{"bob"}, "abcdef123456", ""},
		{"", []string{"DAD"}, "fedcba654321", ""},
		{"", []string{"carol", "bob"}, "abcdef123456", ""},
		{"", []string{"carol"}, "", "carol: in 2 workgroups; choose one with --workgroup"},
		{"", []string{"bob", "dad"}, "", "no workgroup of this node has bob, dad"},
		{"", []string{"eve"}, "", "no workgroup of this node has eve"},
		{"", nil, "", "choose one with --workgroup"},
		{"home", []string{"bob"}, "fedcba654321", ""}, // named wins; the member check is the caller's
	} {
		got, err := ResolveFor(dir, tc.arg, tc.members...)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ResolveFor(%q, %v) = %v, %v; want error %q", tc.arg, tc.members, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got.ID != tc.wantID {
			t.Errorf("ResolveFor(%q, %v) = %v, %v; want %s", tc.arg, tc.members, got, err, tc.wantID)
		}
	}
	one := NewStaticDirectory(self, Member{Workgroup: "abcdef123456", WorkgroupName: "office", PeerID: self})
	if got, err := ResolveFor(one, "", "nobody"); err != nil || got.ID != "abcdef123456" {
		t.Errorf("one workgroup: %v %v (the member check is the caller's)", got, err)
	}
}

// A second workgroup under a name already used here is refused unless
// forced; rename is for admins and refuses a used name too; leaving
// deletes the workgroup's state (also after a restart), refuses the last
// admin of a workgroup with other members.
func TestLeaveRenameSameName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
	office := mustCreate(t, alice, "office")
	if _, err := alice.svc.Create(ctx, "Office"); err == nil || CodeOf(err) != CodeConflict || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second 'office': %v", err)
	}
	other, err := alice.svc.CreateNamed(ctx, "office", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.svc.Rename(ctx, other.ID, "OFFICE", false); CodeOf(err) != CodeConflict {
		t.Fatalf("rename to a used name: %v", err)
	}
	if r, err := alice.svc.Rename(ctx, other.ID, "lab", false); err != nil || r.Name != "lab" {
		t.Fatalf("rename: %+v %v", r, err)
	}

	tok := mustInvite(t, alice, InviteOptions{Workgroup: "lab", TTL: time.Hour, Uses: 1})
	if !strings.Contains(mustParse(t, tok).Name, "lab") {
		t.Errorf("the invite carries %q, want the new name", mustParse(t, tok).Name)
	}
	mustJoin(t, bob, tok, "bob")
	if _, err := bob.svc.Rename(ctx, other.ID, "bobs", false); CodeOf(err) != CodeForbidden {
		t.Fatalf("a member renames: %v", err)
	}
	if _, err := alice.svc.Leave(ctx, "lab", false); CodeOf(err) != CodeConflict || !strings.Contains(err.Error(), "only admin") {
		t.Fatalf("last admin leaves: %v", err)
	}
	left, err := bob.svc.Leave(ctx, "lab", false)
	if err != nil || left.ID != other.ID {
		t.Fatalf("bob leaves: %+v %v", left, err)
	}
	if ws := bob.svc.List(); len(ws) != 0 {
		t.Fatalf("bob still lists %+v", ws)
	}
	bob.stop()
	bob.start()
	if ws := bob.svc.List(); len(ws) != 0 {
		t.Fatalf("after a restart bob lists %+v", ws)
	}
	if _, err := alice.svc.Leave(ctx, office.ID, false); err != nil {
		t.Fatalf("alice leaves office, alone in it: %v", err)
	}
	if ws := alice.svc.List(); len(ws) != 1 || ws[0].Name != "lab" {
		t.Fatalf("alice lists %+v", ws)
	}
}

func mustParse(t *testing.T, tok string) *Token {
	t.Helper()
	p, err := ParseToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
