package workgroup

import (
	"testing"
)

// A roster's generation moves with its own changes only: the nodes of
// one process (testnet, a test package's parallel tests) each have a
// roster, and a change in one must not make another's caches and idle
// checks (chat's logs to keep, discovery's settled rounds) look again.
func TestRosterGenerationIsPerRoster(t *testing.T) {
	t.Parallel()
	root, _ := NewRoot("office")
	rs := RootSigner(root.Key)
	admin, other := newPeer(t), newPeer(t)
	adminCert := mustIssue(t, rs, body(root, "admin", admin, RoleAdmin))

	a, b := NewRoster(admin.id), NewRoster(other.id)
	b.AddWorkgroup(*root)
	before := b.Generation()
	gA := a.Generation()
	a.AddWorkgroup(*root)
	if _, _, err := a.MergeDurable(root.ID, Bundle{Certs: [][]byte{adminCert}}, "", func(Bundle) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if a.Generation() == gA {
		t.Fatal("a roster's own workgroup and certificate did not move its generation")
	}
	if got := b.Generation(); got != before {
		t.Fatalf("another roster's changes moved this roster's generation: %d, was %d", got, before)
	}
}
