package workgroup

import (
	"bytes"
	"slices"
	"sort"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Roster items for sync and storage: digests, differences, loading.

// Digest returns the sorted hashes of every item of wg (of name items,
// the one in force only: name.go).
func (r *Roster) Digest(wg string) [][]byte {
	r.mu.RLock()
	defer r.mu.RUnlock()
	w, ok := r.wgs[wg]
	if !ok {
		return nil
	}
	out := make([][]byte, 0, len(w.certs)+len(w.revs))
	for h := range w.certs {
		out = append(out, slices.Clone(h[:]))
	}
	for h := range w.revs {
		out = append(out, slices.Clone(h[:]))
	}
	if w.name != nil {
		out = append(out, slices.Clone(w.name.Hash[:]))
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i], out[j]) < 0 })
	return out
}

// Missing returns the items of wg whose hashes are not in have (of name
// items, the one in force only), and the hashes of have that this roster
// lacks.
func (r *Roster) Missing(wg string, have [][]byte) (theyLack Bundle, weLack [][]byte) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	w, ok := r.wgs[wg]
	if !ok {
		return Bundle{}, nil
	}
	set := make(map[[32]byte]bool, len(have))
	for _, h := range have {
		if len(h) != 32 {
			continue
		}
		k := [32]byte(h)
		set[k] = true
		_, c := w.certs[k]
		_, rv := w.revs[k]
		_, n := w.names[k]
		if !c && !rv && !n {
			weLack = append(weLack, h)
		}
	}
	for h, c := range w.certs {
		if !set[h] {
			theyLack.Certs = append(theyLack.Certs, c.Raw)
		}
	}
	for h, rv := range w.revs {
		if !set[h] {
			theyLack.Revs = append(theyLack.Revs, rv.Raw)
		}
	}
	if w.name != nil && !set[w.name.Hash] {
		theyLack.Names = append(theyLack.Names, w.name.Raw)
	}
	return theyLack, weLack
}

// Items returns the items of wg with the given hashes.
func (r *Roster) Items(wg string, hashes [][]byte) Bundle {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var b Bundle
	w, ok := r.wgs[wg]
	if !ok {
		return b
	}
	for _, h := range hashes {
		if len(h) != 32 {
			continue
		}
		if c, ok := w.certs[[32]byte(h)]; ok {
			b.Certs = append(b.Certs, c.Raw)
		}
		if rv, ok := w.revs[[32]byte(h)]; ok {
			b.Revs = append(b.Revs, rv.Raw)
		}
		if n, ok := w.names[[32]byte(h)]; ok {
			b.Names = append(b.Names, n.Raw)
		}
	}
	return b
}

// All returns every item of wg (of name items, the one in force).
func (r *Roster) All(wg string) Bundle {
	b, _ := r.Missing(wg, nil)
	return b
}

// load adds stored items of wg without the admin checks of Merge: they
// were checked when first accepted (a revocation stays in force even if
// its issuer was removed later). Signatures are still verified.
func (r *Roster) load(wg string, b Bundle) (bad int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, ok := r.wgs[wg]
	if !ok {
		return b.Len()
	}
	for _, raw := range b.Certs {
		c, err := ParseCert(raw, w.root.Pub)
		if err != nil {
			bad++
			continue
		}
		if _, dup := w.certs[c.Hash]; !dup {
			w.addCert(c)
		}
	}
	for _, raw := range b.Revs {
		rv, err := ParseRevocation(raw, w.root.Pub)
		if err != nil {
			bad++
			continue
		}
		if _, dup := w.revs[rv.Hash]; !dup {
			w.addRev(rv)
		}
	}
	for _, raw := range b.Names {
		n, err := ParseName(raw, w.root.Pub)
		if err != nil {
			bad++
			continue
		}
		w.names[n.Hash] = n
	}
	w.pruneNames()
	w.rebuild(r.now())
	return bad
}

// RevocationsOf returns the signed revocations of p in wg.
func (r *Roster) RevocationsOf(wg string, p peer.ID) [][]byte {
	r.mu.RLock()
	defer r.mu.RUnlock()
	w, ok := r.wgs[wg]
	if !ok {
		return nil
	}
	var out [][]byte
	for _, rv := range w.revs {
		if rv.PeerID == p {
			out = append(out, rv.Raw)
		}
	}
	return out
}
