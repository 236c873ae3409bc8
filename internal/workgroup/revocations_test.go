package workgroup

import (
	"bytes"
	"slices"
	"testing"
	"time"
)

// Whatever order a revoked admin's items and its own revocation arrive
// in, every roster decides the same: what the admin did before its
// revocation stands, what it signed after does not
// (records/2026-12-01-s16-bounds.md found rosters that never agreed).
func TestRevokedAdminItemsAnyOrder(t *testing.T) {
	p := fuzzPool(t)
	wg := fuzzRoot().ID
	item := func(i int) Bundle { return p.items[i].b }
	// 0 A admin by root, 6 M by root, 21 M revoked by A (at),
	// 17 A revoked by root (at+10 s), 11 I by A (at+50 s).
	orders := map[string][]int{
		"revocation of M first":    {0, 6, 21, 17, 11},
		"revocation of A first":    {0, 6, 17, 21, 11},
		"the certificate first":    {0, 11, 6, 21, 17},
		"everything by A last":     {6, 17, 0, 21, 11},
		"the root's items last":    {21, 11, 0, 6, 17},
		"A's revocation of M last": {0, 6, 17, 11, 21},
	}
	for name, order := range orders {
		t.Run(name, func(t *testing.T) {
			r := newFuzzRoster()
			var all Bundle
			for _, i := range order {
				r.Merge(wg, item(i))
				b := item(i)
				all.Certs, all.Revs, all.Names = append(all.Certs, b.Certs...), append(all.Revs, b.Revs...), append(all.Names, b.Names...)
			}
			r.Merge(wg, all) // as the next sync offers what was refused
			for _, tc := range []struct {
				who     string
				revoked bool
			}{{"A", true}, {"M", true}, {"I", false}} {
				id := p.peers[tc.who]
				if got := r.IsRevoked(wg, id); got != tc.revoked {
					t.Errorf("%s revoked: %v, want %v", tc.who, got, tc.revoked)
				}
				if _, ok := r.Member(wg, id); ok {
					t.Errorf("%s is a member", tc.who)
				}
			}
		})
	}
}

// Whatever order a removed admin's renames, its removal and the other
// renames arrive in, every roster shows the same display name: the newest
// rename in force (by the root, or by an admin at its time). A rename the
// admin signed after its removal is never shown once the removal is known
// (a roster used to keep only the newest name item it took: one that took
// the late rename before the removal showed it for good).
func TestRenameAfterRemovalAnyOrder(t *testing.T) {
	p := fuzzPool(t)
	wg := fuzzRoot().ID
	at := time.Unix(1_750_000_000, 0)
	named := func(s Signer, name string, when time.Time) Bundle {
		raw, err := IssueName(s, wg, name, nil, when)
		if err != nil {
			t.Fatal(err)
		}
		return Bundle{Names: [][]byte{raw}}
	}
	item := func(i int) Bundle { return p.items[i].b }
	var (
		adminA    = item(0)  // A admin by root (at)
		removeA   = item(17) // A revoked by root (at+10 s)
		byRoot    = item(22) // "renamed" by root (at)
		lateA     = item(23) // "by admin" by A (at+40 s: after its removal)
		earlyA    = named(p.signers["A"], "early", at.Add(5*time.Second))
		laterA    = named(p.signers["A"], "later", at.Add(50*time.Second))
		rootAfter = named(RootSigner(fuzzRoot().Key), "root again", at.Add(20*time.Second))
	)
	cases := []struct {
		name  string
		items []Bundle
		want  string
	}{
		{"late rename, no earlier one", []Bundle{adminA, removeA, lateA}, "fuzz"},
		{"late rename over the root's", []Bundle{adminA, removeA, byRoot, lateA}, "renamed"},
		{"late rename over the admin's own", []Bundle{adminA, removeA, byRoot, earlyA, lateA}, "early"},
		{"two late renames", []Bundle{adminA, removeA, earlyA, lateA, laterA}, "early"},
		{"the root renames after the removal", []Bundle{adminA, removeA, earlyA, lateA, rootAfter}, "root again"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var all Bundle
			for _, b := range tc.items {
				all.Certs, all.Revs, all.Names = append(all.Certs, b.Certs...), append(all.Revs, b.Revs...), append(all.Names, b.Names...)
			}
			var first *Roster
			for _, order := range permutations(len(tc.items)) {
				r := newFuzzRoster()
				for _, i := range order {
					r.Merge(wg, tc.items[i])
				}
				r.Merge(wg, all) // as the next sync offers what was refused
				if got := rootName(r, wg); got != tc.want {
					t.Fatalf("order %v: display name %q, want %q", order, got, tc.want)
				}
				if first == nil {
					first = r
				} else if !slices.EqualFunc(r.Digest(wg), first.Digest(wg), bytes.Equal) {
					t.Fatalf("order %v: a roster of %d items, another of %d", order, len(r.Digest(wg)), len(first.Digest(wg)))
				}
			}
			// A roster that learns only what sync offers (the name in
			// force among them) shows the same name.
			synced := newFuzzRoster()
			lack, _ := first.Missing(wg, nil)
			synced.Merge(wg, lack)
			if got := rootName(synced, wg); got != tc.want {
				t.Fatalf("after one sync: display name %q, want %q", got, tc.want)
			}
		})
	}
}

// permutations returns every order of 0..n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			out = append(out, slices.Insert(slices.Clone(p), i, n-1))
		}
	}
	return out
}
