package workgroup

import (
	"crypto/sha256"
	"slices"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// Limits of the roster protocols (see doc.go, "Limits"). A roster is
// sized for p2p.MaxPeers members.
const (
	// maxRosterFrame bounds one frame that carries roster items (sync
	// reply and push, join reply): p2p.MaxPeers certificates of maxItem
	// bytes, the largest ParseCert accepts, is 8 MiB. A typical
	// certificate is ~400 bytes, so this also holds a roster of MaxPeers
	// members with many superseded certificates and revocations.
	maxRosterFrame = p2p.MaxPeers * maxItem
	// MaxRosterItems bounds the items of one Bundle: MaxPeers members
	// with up to 8 items of history each.
	MaxRosterItems = 8 * p2p.MaxPeers
	// maxSyncHello bounds a SyncHello: MaxRosterItems hashes of 32 bytes
	// (34 with their CBOR heads), plus the workgroup ID.
	maxSyncHello = MaxRosterItems*34 + 256
	// maxBadItems is how many items of one bundle may fail their
	// signature check before the rest of the bundle is dropped unread: a
	// member's software never sends a badly signed item, so a bundle
	// full of them is an attack on this node's CPU.
	maxBadItems = 16
)

// precheck drops, before any signature is verified, what accept would
// refuse anyway or need not look at: items beyond MaxRosterItems or
// over maxItem bytes, items this roster already holds, items that do
// not decode, and items whose issuer is neither the root nor a peer
// holding an admin certificate (in this roster or in the bundle; whether
// that certificate is valid is decided later, by accept). It returns
// what is left and how many items it refused.
func (w *wgState) precheck(b Bundle) (Bundle, int) {
	refused := 0
	if n := b.Len(); n > MaxRosterItems {
		refused = n - MaxRosterItems
		if len(b.Certs) > MaxRosterItems {
			b.Certs = b.Certs[:MaxRosterItems]
		}
		b.Revs = b.Revs[:min(len(b.Revs), MaxRosterItems-len(b.Certs))]
		b.Names = b.Names[:min(len(b.Names), MaxRosterItems-len(b.Certs)-len(b.Revs))]
	}
	type head struct {
		raw    []byte
		issuer []byte
	}
	var certs, revs, names []head
	admins := map[peer.ID]bool{}
	for _, raw := range b.Certs {
		var cb CertBody
		switch {
		case len(raw) > maxItem || peekBody(raw, &cb) != nil:
			refused++
		case w.certs[sha256.Sum256(raw)] != nil:
		default:
			if slices.Contains(cb.Roles, RoleAdmin) {
				admins[peer.ID(cb.Peer)] = true
			}
			certs = append(certs, head{raw, cb.Issuer})
		}
	}
	for _, raw := range b.Revs {
		var rb RevocationBody
		switch {
		case len(raw) > maxItem || peekBody(raw, &rb) != nil:
			refused++
		case w.revs[sha256.Sum256(raw)] != nil:
		default:
			revs = append(revs, head{raw, rb.Issuer})
		}
	}
	for _, raw := range b.Names {
		var nb NameBody
		switch {
		case len(raw) > maxItem || peekBody(raw, &nb) != nil:
			refused++
		case w.names[sha256.Sum256(raw)] != nil:
		default:
			names = append(names, head{raw, nb.Issuer})
		}
	}
	issuerOK := func(iss []byte) bool {
		if len(iss) == 0 || admins[peer.ID(iss)] {
			return true
		}
		for _, c := range w.byPeer[peer.ID(iss)] {
			if c.HasRole(RoleAdmin) {
				return true
			}
		}
		return false
	}
	var out Bundle
	for _, h := range certs {
		if issuerOK(h.issuer) {
			out.Certs = append(out.Certs, h.raw)
		} else {
			refused++
		}
	}
	for _, h := range revs {
		if issuerOK(h.issuer) {
			out.Revs = append(out.Revs, h.raw)
		} else {
			refused++
		}
	}
	for _, h := range names {
		if issuerOK(h.issuer) {
			out.Names = append(out.Names, h.raw)
		} else {
			refused++
		}
	}
	return out, refused
}

// peekBody decodes a signed item's body into v without checking its
// signature.
func peekBody(raw []byte, v any) error {
	var sg Signed
	if err := wire.Unmarshal(raw, &sg); err != nil {
		return err
	}
	return wire.Unmarshal(sg.Body, v)
}

// parse verifies the items of b (after precheck). After maxBadItems
// failures it gives up on the rest of the bundle, which counts as
// refused.
func (w *wgState) parse(b Bundle) (certs []*Cert, revs []*Revocation, names []*NameItem, refused int) {
	for i, raw := range b.Certs {
		if refused >= maxBadItems {
			return certs, revs, names, refused + len(b.Certs) - i + len(b.Revs) + len(b.Names)
		}
		c, err := ParseCert(raw, w.root.Pub)
		if err != nil {
			refused++
			continue
		}
		certs = append(certs, c)
	}
	for i, raw := range b.Revs {
		if refused >= maxBadItems {
			return certs, revs, names, refused + len(b.Revs) - i + len(b.Names)
		}
		rv, err := ParseRevocation(raw, w.root.Pub)
		if err != nil {
			refused++
			continue
		}
		revs = append(revs, rv)
	}
	for i, raw := range b.Names {
		if refused >= maxBadItems {
			return certs, revs, names, refused + len(b.Names) - i
		}
		n, err := ParseName(raw, w.root.Pub)
		if err != nil {
			refused++
			continue
		}
		names = append(names, n)
	}
	return certs, revs, names, refused
}
