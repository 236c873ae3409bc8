package workgroup

import "testing"

// MemberName names exactly the members Member finds, with Member's name,
// and nobody else (a non-member, another workgroup), without allocating.
func TestMemberName(t *testing.T) {
	root, _ := NewRoot("office")
	rs := RootSigner(root.Key)
	admin, bob, carol := newPeer(t), newPeer(t), newPeer(t)
	r := NewRoster(admin.id)
	r.AddWorkgroup(*root)
	r.Merge(root.ID, Bundle{Certs: [][]byte{mustIssue(t, rs, body(root, "admin", admin, RoleAdmin)), mustIssue(t, rs, body(root, "Bob", bob))}})
	for _, tc := range []struct {
		name, wg string
		p        tpeer
	}{
		{"admin", root.ID, admin}, {"bob", root.ID, bob}, {"carol (no member)", root.ID, carol}, {"other workgroup", "nope", bob},
	} {
		m, ok := r.Member(tc.wg, tc.p.id)
		name, nok := r.MemberName(tc.wg, tc.p.id)
		if ok != nok || name != m.Name {
			t.Errorf("%s: MemberName %q %v, Member %q %v", tc.name, name, nok, m.Name, ok)
		}
	}
	if name, _ := r.MemberName(root.ID, bob.id); name != "Bob" {
		t.Errorf("bob's name %q", name)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = r.MemberName(root.ID, bob.id) }); n != 0 {
		t.Errorf("MemberName: %.0f allocations", n)
	}
}
