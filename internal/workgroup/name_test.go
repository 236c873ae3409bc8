package workgroup

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"testing"
	"time"
)

// A rename by an admin (here one admitted by delegation, signing with its
// node key) reaches every member, through gossip and roster sync, and
// survives a restart; the ID never changes. A non-admin's name item is
// refused; an older one is not shown.
func TestRenameReachesMembers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alice, bob, carol := newTNode(t, "alice"), newTNode(t, "bob"), newTNode(t, "carol")
	wg := mustCreate(t, alice, "office")
	mustJoin(t, bob, mustInvite(t, alice, InviteOptions{Admin: true}), "")
	mustJoin(t, carol, mustInvite(t, alice, InviteOptions{}), "")

	if _, err := bob.svc.Rename(ctx, "office", "team", false); err != nil {
		t.Fatal(err)
	}
	waitName := func(n *tnode, want string) {
		t.Helper()
		// Gossip brings it at once; roster sync (every second here)
		// within a few; 30 s allows for a loaded CI machine under -race.
		deadline := time.Now().Add(30 * time.Second)
		for {
			ws := n.svc.List()
			if len(ws) == 1 && ws[0].ID == wg.ID && ws[0].Name == want {
				if m, ok := n.svc.roster.Self(wg.ID); !ok || m.WorkgroupName != want {
					t.Fatalf("%s: member lists workgroup %q, want %q", n.name, m.WorkgroupName, want)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s lists %+v, want %s named %q (connected to alice: %v, bob: %v)", n.name, ws, wg.ID, want,
					n.host.Network().Connectedness(alice.host.ID()), n.host.Network().Connectedness(bob.host.ID()))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for _, n := range []*tnode{bob, alice, carol} {
		waitName(n, "team")
	}

	// carol is no admin: her signed name is refused everywhere.
	cs, err := NodeSigner(carol.id.Key)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := IssueName(cs, wg.ID, "carols", alice.svc.roster.NameItemOf(wg.ID), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if added, refused := alice.svc.roster.Merge(wg.ID, Bundle{Names: [][]byte{forged}}); len(added.Names) != 0 || refused != 1 {
		t.Fatalf("a non-admin's name: added %d, refused %d", len(added.Names), refused)
	}
	// An older rename (by the root) loses to the newer one.
	root, _ := alice.svc.roster.Root(wg.ID)
	older, err := IssueName(RootSigner(root.Key), wg.ID, "stale", nil, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// (It is kept, as every storable rename is, but not shown: name.go.)
	carol.svc.roster.Merge(wg.ID, Bundle{Names: [][]byte{older}})
	if got := rootName(carol.svc.roster, wg.ID); got != "team" {
		t.Fatalf("an older name item replaced a newer one: %q", got)
	}
	waitName(carol, "team")

	// The name is stored: a restart keeps it, and the roster sync that
	// follows does not bring the old one back.
	carol.stop()
	carol.start()
	waitName(carol, "team")
	if err := carol.dial(alice); err != nil {
		t.Fatal(err)
	}
	// A second rename by the creator (root key) replaces the first.
	if _, err := alice.svc.Rename(ctx, wg.ID, "crew", false); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*tnode{alice, bob, carol} {
		waitName(n, "crew")
	}
}

// Every node keeps the same name item, whatever order two items of one
// time arrive in; one too far in the future is refused.
func TestNameOrderDeterministic(t *testing.T) {
	t.Parallel()
	root := fuzzRoot()
	at := time.Unix(1_750_000_000, 0)
	x, _ := IssueName(RootSigner(root.Key), root.ID, "north", nil, at)
	y, _ := IssueName(RootSigner(root.Key), root.ID, "south", nil, at)
	future, _ := IssueName(RootSigner(root.Key), root.ID, "later", nil, at.Add(48*time.Hour))
	names := map[string]bool{}
	for _, order := range [][][]byte{{x, y}, {y, x}, {x, y, x}} {
		r := NewRoster("self")
		r.now = func() time.Time { return at }
		r.AddWorkgroup(*root)
		for _, raw := range order {
			r.Merge(root.ID, Bundle{Names: [][]byte{raw}})
		}
		if added, _ := r.Merge(root.ID, Bundle{Names: [][]byte{future}}); len(added.Names) != 0 {
			t.Fatal("a name item two days ahead was taken")
		}
		names[rootName(r, root.ID)] = true
	}
	if len(names) != 1 {
		t.Fatalf("nodes disagree on the name: %v", names)
	}
	// Forged: a changed byte (name or signature), or signed by a key that
	// is not this workgroup's root.
	r := NewRoster("self")
	r.now = func() time.Time { return at }
	r.AddWorkgroup(*root)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	alien, _ := IssueName(RootSigner(other), root.ID, "alien", nil, at)
	for i, raw := range [][]byte{flip(x, len(x)-1), flip(x, bytes.Index(x, []byte("north"))), alien} {
		if added, refused := r.Merge(root.ID, Bundle{Names: [][]byte{raw}}); len(added.Names) != 0 || refused != 1 {
			t.Errorf("forged item %d: added %d, refused %d", i, len(added.Names), refused)
		}
	}
	if got := rootName(r, root.ID); got != "fuzz" {
		t.Fatalf("a forged item renamed the workgroup to %q", got)
	}
}

// flip returns b with byte i changed.
func flip(b []byte, i int) []byte {
	c := slices.Clone(b)
	c[i] ^= 1
	return c
}

// The name items a roster keeps are stored, survive a restart, and are
// bounded: renames a removed admin signs after its removal are kept (not
// shown), at most maxNamesPerIssuer per issuer, and a root rename drops
// every older item.
func TestNameItemsKeptAndBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alice := newTNode(t, "alice")
	wg := mustCreate(t, alice, "office")
	root, _ := alice.svc.roster.Root(wg.ID)
	rs := RootSigner(root.Key)
	ad := newPeer(t)
	now := time.Now()
	adminCert, err := IssueCert(rs, body(&root, "dave", ad, RoleAdmin), now.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	rename := func(s Signer, name string, at time.Time) []byte {
		raw, err := IssueName(s, wg.ID, name, nil, at)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	removal, err := IssueRevocation(rs, wg.ID, ad.id, "dave", now.Add(-20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	merge := func(b Bundle) {
		t.Helper()
		if _, _, err := alice.svc.mergeStored(ctx, wg.ID, b); err != nil {
			t.Fatal(err)
		}
	}
	// check the name shown, and that memory and storage hold the same
	// name items, n of them.
	check := func(want string, n int) {
		t.Helper()
		if got := rootName(alice.svc.roster, wg.ID); got != want {
			t.Fatalf("display name %q, want %q", got, want)
		}
		r := alice.svc.roster
		r.mu.RLock()
		held := len(r.wgs[wg.ID].names)
		r.mu.RUnlock()
		var stored int
		if err := alice.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM names WHERE workgroup=?`, wg.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if held != n || stored != n {
			t.Fatalf("%d name items held, %d stored, want %d", held, stored, n)
		}
	}
	as := ad.signer(t)
	merge(Bundle{Certs: [][]byte{adminCert}, Names: [][]byte{rename(as, "early", now.Add(-30*time.Second))}})
	check("early", 1)
	// The removal, then two renames dave signed after it: not shown.
	merge(Bundle{Revs: [][]byte{removal}, Names: [][]byte{rename(as, "late1", now.Add(-10*time.Second)), rename(as, "late2", now.Add(-5*time.Second))}})
	check("early", 3)
	alice.stop()
	alice.start()
	check("early", 3)
	// A flood of late renames (a leaked key) keeps dave's newest
	// maxNamesPerIssuer: its own earlier rename goes, the roster does
	// not grow.
	var flood Bundle
	for i := range 12 {
		flood.Names = append(flood.Names, rename(as, fmt.Sprint("flood", i), now.Add(time.Duration(i-19)*time.Second)))
	}
	merge(flood)
	check("office", maxNamesPerIssuer)
	// A root rename replaces every older item.
	if _, err := alice.svc.Rename(ctx, wg.ID, "crew", false); err != nil {
		t.Fatal(err)
	}
	check("crew", 1)
	alice.stop()
	alice.start()
	check("crew", 1)
}
