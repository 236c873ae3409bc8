package workgroup

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
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

// setName makes n the workgroup's name item and display name.
func (w *wgState) setName(n *NameItem) {
	w.name = n
	if n != nil {
		w.root.Name = n.Name
	}
}

// NameItemOf returns the name item in force for wg (nil: none; the name
// is the one given at creation or a local rename of an older version).
func (r *Roster) NameItemOf(wg string) *NameItem {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if w, ok := r.wgs[wg]; ok {
		return w.name
	}
	return nil
}

// acceptName takes n as the workgroup's name if its issuer is the root or
// was an admin at the name's time (an admin revoked since keeps the
// renames it made before, so nodes agree whichever item came first;
// see revocations.go), its time is at most maxNameAhead ahead, and it is newer
// than the name item held. An older one (or a copy) is not taken.
func (w *wgState) acceptName(n *NameItem, now time.Time) bool {
	at := time.Unix(n.Time, 0)
	if at.After(now) {
		at = now
	}
	if n.IssuerID != "" && !w.adminAt(n.IssuerID, at) {
		return false
	}
	if n.Time > now.Add(maxNameAhead).Unix() || !newerName(n, w.name) {
		return false
	}
	w.setName(n)
	return true
}
