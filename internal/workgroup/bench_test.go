package workgroup

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkRosterMerge measures merging a roster of 1,000 certificates
// (signature checks, chains, index rebuild) into an empty roster, as a
// joiner does with the roster it receives.
func BenchmarkRosterMerge(b *testing.B) {
	root, _ := NewRoot("bench")
	admin := newPeer(b)
	bundle := Bundle{Certs: [][]byte{mustIssue(b, RootSigner(root.Key), body(root, "admin", admin, RoleAdmin))}}
	for i := range 999 {
		s := RootSigner(root.Key)
		if i%2 == 1 {
			s = admin.signer(b)
		}
		bundle.Certs = append(bundle.Certs, mustIssue(b, s, body(root, fmt.Sprintf("m%d", i), newPeer(b))))
	}
	b.ResetTimer()
	for range b.N {
		r := NewRoster("self")
		r.AddWorkgroup(*root)
		if added, _ := r.Merge(root.ID, bundle); len(added.Certs) != 1000 {
			b.Fatalf("merged %d", len(added.Certs))
		}
	}
}

// BenchmarkMemberLookup measures the membership check every stream of
// every service makes.
func BenchmarkMemberLookup(b *testing.B) {
	root, _ := NewRoot("bench")
	var bundle Bundle
	var last tpeer
	for i := range 1000 {
		last = newPeer(b)
		bundle.Certs = append(bundle.Certs, mustIssue(b, RootSigner(root.Key), body(root, fmt.Sprintf("m%d", i), last)))
	}
	r := NewRoster("self")
	r.AddWorkgroup(*root)
	r.Merge(root.ID, bundle)
	b.ResetTimer()
	for range b.N {
		if len(r.Memberships(last.id)) != 1 {
			b.Fatal("not a member")
		}
	}
}

// BenchmarkRosterMergeRevocations is BenchmarkRosterMerge with 499 of
// the members revoked in the same bundle (half by the root, half by the
// admin): the revocations are replayed in time order (revocations.go).
func BenchmarkRosterMergeRevocations(b *testing.B) {
	root, _ := NewRoot("bench")
	admin := newPeer(b)
	bundle := Bundle{Certs: [][]byte{mustIssue(b, RootSigner(root.Key), body(root, "admin", admin, RoleAdmin))}}
	for i := range 999 {
		s := RootSigner(root.Key)
		if i%2 == 1 {
			s = admin.signer(b)
		}
		p := newPeer(b)
		bundle.Certs = append(bundle.Certs, mustIssue(b, s, body(root, fmt.Sprintf("m%d", i), p)))
		if i%2 == 0 {
			continue
		}
		rs := RootSigner(root.Key)
		if i%4 == 1 {
			rs = admin.signer(b)
		}
		raw, err := IssueRevocation(rs, root.ID, p.id, fmt.Sprintf("m%d", i), time.Now())
		if err != nil {
			b.Fatal(err)
		}
		bundle.Revs = append(bundle.Revs, raw)
	}
	b.ResetTimer()
	for range b.N {
		r := NewRoster("self")
		r.AddWorkgroup(*root)
		if added, _ := r.Merge(root.ID, bundle); len(added.Certs) != 1000 || len(added.Revs) != 499 {
			b.Fatalf("merged %d certificates, %d revocations", len(added.Certs), len(added.Revs))
		}
	}
}
