package workgroup

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// nameDomain is the signature domain of a name item.
const nameDomain = "peerhood workgroup name v1\x00"

// maxNameAhead is how far in the future a name item's time may be when it
// arrives: an admin whose clock runs years ahead would otherwise pin the
// name for good. A refused item is taken when a later sync brings it again.
const maxNameAhead = 24 * time.Hour

// NameBody is the signed content of a name item, the third roster item
// kind: the display name of Workgroup from Time on. The ID never changes.
type NameBody struct {
	Workgroup string `cbor:"1,keyasint"`
	Name      string `cbor:"2,keyasint"`
	Time      int64  `cbor:"3,keyasint"`           // unix seconds; later than every name item the issuer held
	Issuer    []byte `cbor:"4,keyasint,omitempty"` // empty: the root; else the admin's peer ID
}

// NameItem is a parsed name item whose signature was checked against its
// declared issuer (whether the issuer is an admin needs the roster).
type NameItem struct {
	NameBody
	IssuerID peer.ID
	Raw      []byte
	Hash     [32]byte
}

// newerName reports whether name item a replaces b: the later time wins,
// then the larger hash, so every node keeps the same one whatever order
// the items arrived in. Any item replaces none.
func newerName(a, b *NameItem) bool {
	if b == nil {
		return true
	}
	if a.Time != b.Time {
		return a.Time > b.Time
	}
	return bytes.Compare(a.Hash[:], b.Hash[:]) > 0
}

// newestNameFirst orders name items newest first (newerName).
func newestNameFirst(a, b *NameItem) int {
	return cmp.Or(cmp.Compare(b.Time, a.Time), bytes.Compare(b.Hash[:], a.Hash[:]))
}

// IssueName signs a name item for wg. Its time is now, or one second after
// prev's if that is not earlier (so a rename always replaces the name the
// issuer knows, even with a clock that went back).
func IssueName(s Signer, wg, name string, prev *NameItem, now time.Time) ([]byte, error) {
	t := now.Unix()
	if prev != nil && prev.Time >= t {
		t = prev.Time + 1
	}
	return signItem(s, nameDomain, "name", NameBody{Workgroup: wg, Name: name, Time: t, Issuer: s.issuer()})
}

// ParseName decodes a signed name item and checks its signature by its
// declared issuer and that the name is a valid display name.
func ParseName(raw []byte, rootPub ed25519.PublicKey) (*NameItem, error) {
	var b NameBody
	sg, err := openItem(raw, "name item", &b)
	if err != nil {
		return nil, err
	}
	if b.Workgroup != IDOf(rootPub) {
		return nil, fmt.Errorf("name item of workgroup %q, want %q", b.Workgroup, IDOf(rootPub))
	}
	if err := validateDisplayName(b.Name); err != nil {
		return nil, fmt.Errorf("name item: %w", err)
	}
	iss, err := verifySig(rootPub, b.Issuer, nameDomain, sg.Body, sg.Sig)
	if err != nil {
		return nil, fmt.Errorf("name item %q: %w", b.Name, err)
	}
	return &NameItem{NameBody: b, IssuerID: iss, Raw: raw, Hash: sha256.Sum256(raw)}, nil
}

// maxNamesPerIssuer bounds the name items a roster keeps per issuer (the
// newest ones): the key of a removed admin can still sign renames, which
// are stored (heldAdmin) though never in force, and must not grow the
// roster without bound. See "Which name is in force" below.
const maxNamesPerIssuer = 4

// Which name is in force: the newest in force of the items held.
//
// A roster keeps every storable name item (signed by the root, or by a
// peer holding an admin certificate at the item's time, revoked since or
// not: heldAdmin, a property of the items held that only grows), and at
// every rebuild shows the newest one in force: signed by the root, or by
// a peer that was an admin at the item's time given the revocations that
// count (revocations.go). So a rename a removed admin signs after its
// removal is never shown once the removal is known, whichever came first,
// and the name it replaced comes back on every node alike (a roster used
// to keep one name item, the newest taken: a node that took such a rename
// before learning the removal showed it for good).
//
// What is kept is a function of the items alone, so rosters holding the
// same items keep the same: an item older than the newest root-signed one
// can never be in force again and is dropped, and each issuer keeps only
// its maxNamesPerIssuer newest (a removed admin's leaked key flooding
// renames only pushes out its own older ones). Sync offers only the name
// in force (roster_items.go): that is all a node of the previous version
// takes, and every node's choice converges on the newest item in force
// anywhere, which the node holding it offers.

// inForceName reports whether n may be shown: its issuer is the root or
// was an admin at its time (now, for one dated ahead).
func (w *wgState) inForceName(n *NameItem, now time.Time) bool {
	return n.IssuerID == "" || w.adminAt(n.IssuerID, nameAt(n, now))
}

// nameAt is the time at which n's issuer is judged.
func nameAt(n *NameItem, now time.Time) time.Time {
	if at := time.Unix(n.Time, 0); at.Before(now) {
		return at
	}
	return now
}

// pickName makes the newest name item in force the workgroup's name (the
// name given at creation or join if none is).
func (w *wgState) pickName(now time.Time) {
	w.name = nil
	for _, n := range w.names {
		if newerName(n, w.name) && w.inForceName(n, now) {
			w.name = n
		}
	}
	w.root.Name = w.base
	if w.name != nil {
		w.root.Name = w.name.Name
	}
}

// prunedNames returns the items of all a roster does not keep: those
// older than the newest root-signed one, and each issuer's beyond its
// maxNamesPerIssuer newest.
func prunedNames(all []*NameItem) []*NameItem {
	sorted := slices.SortedFunc(slices.Values(all), newestNameFirst)
	var out []*NameItem
	kept := map[peer.ID]int{}
	rootSeen := false
	for _, n := range sorted {
		if rootSeen || kept[n.IssuerID] >= maxNamesPerIssuer {
			out = append(out, n)
			continue
		}
		kept[n.IssuerID]++
		rootSeen = n.IssuerID == ""
	}
	return out
}

// pruneNames drops the held name items prunedNames names and returns them.
func (w *wgState) pruneNames() []*NameItem {
	out := prunedNames(slices.Collect(maps.Values(w.names)))
	for _, n := range out {
		delete(w.names, n.Hash)
	}
	return out
}

// NameItemOf returns the name item in force for wg (nil: none; the name
// is the one given at creation or join, or a local rename of an older
// version).
func (r *Roster) NameItemOf(wg string) *NameItem {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if w, ok := r.wgs[wg]; ok {
		return w.name
	}
	return nil
}

// acceptName stores n if its issuer is the root or held an admin
// certificate at its time (heldAdmin: whether it is in force is decided by
// pickName at the rebuild), its time is at most maxNameAhead ahead, and
// it is kept (prunedNames). It returns whether n was stored and the items
// it made the roster drop. A copy is not taken.
func (w *wgState) acceptName(n *NameItem, now time.Time) (bool, []*NameItem) {
	if _, dup := w.names[n.Hash]; dup || n.Time > now.Add(maxNameAhead).Unix() {
		return false, nil
	}
	if n.IssuerID != "" && !w.heldAdmin(n.IssuerID, nameAt(n, now)) {
		return false, nil
	}
	w.names[n.Hash] = n
	dropped := w.pruneNames()
	if i := slices.Index(dropped, n); i >= 0 {
		// n itself is not kept (accept offers the newest first, so the
		// others dropped with it were dropped before: put them back).
		for _, o := range slices.Delete(dropped, i, i+1) {
			w.names[o.Hash] = o
		}
		return false, nil
	}
	return true, dropped
}
