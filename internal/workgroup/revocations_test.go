package workgroup

import (
	"testing"
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
