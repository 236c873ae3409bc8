package workgroup

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkRosterMerge measures merging a roster of 1,000 certificates
// (signature checks, chains, index rebuild) into an empty roster, as a
// joiner does with the roster it receives.
func BenchmarkRosterMerge(b *testing.B) { benchMerge(b, false) }

// BenchmarkRosterMergeRevocations is BenchmarkRosterMerge with 499 of
// the members revoked in the same bundle (half by the root, half by the
// admin): the revocations are replayed in time order (revocations.go).
func BenchmarkRosterMergeRevocations(b *testing.B) { benchMerge(b, true) }

func benchMerge(b *testing.B, revoke bool) {
	root, _ := NewRoot("bench")
	admin := newPeer(b)
	bundle := Bundle{Certs: [][]byte{mustIssue(b, RootSigner(root.Key), body(root, "admin", admin, RoleAdmin))}}
	signer := func(byAdmin bool) Signer {
		if byAdmin {
			return admin.signer(b)
		}
		return RootSigner(root.Key)
	}
	for i := range 999 {
		p := newPeer(b)
		bundle.Certs = append(bundle.Certs, mustIssue(b, signer(i%2 == 1), body(root, fmt.Sprintf("m%d", i), p)))
		if !revoke || i%2 == 0 {
			continue
		}
		raw, err := IssueRevocation(signer(i%4 == 1), root.ID, p.id, fmt.Sprintf("m%d", i), time.Now())
		if err != nil {
			b.Fatal(err)
		}
		bundle.Revs = append(bundle.Revs, raw)
	}
	b.ResetTimer()
	for range b.N {
		r := NewRoster("self")
		r.AddWorkgroup(*root)
		if added, _ := r.Merge(root.ID, bundle); len(added.Certs) != 1000 || len(added.Revs) != len(bundle.Revs) {
			b.Fatalf("merged %d certificates, %d revocations", len(added.Certs), len(added.Revs))
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
