package workgroup

import (
	"bytes"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Bundle is a set of signed roster items of one workgroup.
type Bundle struct {
	Certs [][]byte `cbor:"1,keyasint,omitempty"`
	Revs  [][]byte `cbor:"2,keyasint,omitempty"`
}

// wgState is the in-memory roster of one workgroup.
type wgState struct {
	root    Root
	certs   map[[32]byte]*Cert
	revs    map[[32]byte]*Revocation
	byPeer  map[peer.ID][]*Cert
	revoked map[peer.ID]bool
	// derived by rebuild
	members map[peer.ID]*Cert // best valid certificate per peer
	byName  map[string]peer.ID
}

func newWGState(root Root) *wgState {
	return &wgState{root: root, certs: map[[32]byte]*Cert{}, revs: map[[32]byte]*Revocation{},
		byPeer: map[peer.ID][]*Cert{}, revoked: map[peer.ID]bool{}, members: map[peer.ID]*Cert{}, byName: map[string]peer.ID{}}
}

// chainOK reports whether c is valid at now: inside its window, its peer
// unrevoked, and signed by the root or by an admin whose own certificate
// is chain-valid (at most MaxChainDepth admins deep).
func (w *wgState) chainOK(c *Cert, now time.Time, depth int) bool {
	if !c.ValidAt(now) || w.revoked[c.PeerID] {
		return false
	}
	if c.IssuerID == "" {
		return true
	}
	if depth >= MaxChainDepth || w.revoked[c.IssuerID] {
		return false
	}
	for _, ic := range w.byPeer[c.IssuerID] {
		if ic.HasRole(RoleAdmin) && ic.Hash != c.Hash && w.chainOK(ic, now, depth+1) {
			return true
		}
	}
	return false
}

// isAdmin reports whether p holds a chain-valid admin certificate.
func (w *wgState) isAdmin(p peer.ID, now time.Time) bool {
	for _, c := range w.byPeer[p] {
		if c.HasRole(RoleAdmin) && w.chainOK(c, now, 0) {
			return true
		}
	}
	return false
}

func (w *wgState) addCert(c *Cert) {
	w.certs[c.Hash] = c
	w.byPeer[c.PeerID] = append(w.byPeer[c.PeerID], c)
}

func (w *wgState) addRev(r *Revocation) {
	w.revs[r.Hash] = r
	w.revoked[r.PeerID] = true
}

// newer reports whether certificate a replaces b (both of one peer): the
// later not-before wins (a reissued certificate, as when an admin changes
// the member's groups), then the later not-after, then the larger serial,
// so every node picks the same one.
func newer(a, b *Cert) bool {
	if a.NotBefore != b.NotBefore {
		return a.NotBefore > b.NotBefore
	}
	if a.NotAfter != b.NotAfter {
		return a.NotAfter > b.NotAfter
	}
	return bytes.Compare(a.Serial, b.Serial) > 0
}

// rebuild recomputes the valid members and the name index.
func (w *wgState) rebuild(now time.Time) {
	w.members = map[peer.ID]*Cert{}
	first := map[peer.ID]*Cert{} // each member's oldest valid certificate
	for p, cs := range w.byPeer {
		var best, old *Cert
		for _, c := range cs {
			if !w.chainOK(c, now, 0) {
				continue
			}
			if best == nil || newer(c, best) {
				best = c
			}
			if old == nil || newer(old, c) {
				old = c
			}
		}
		if best != nil {
			w.members[p], first[p] = best, old
		}
	}
	// Names are unique case-insensitively; should two admins ever issue
	// the same name at once, the member admitted first (older first
	// certificate, then the smaller serial) owns the name everywhere.
	w.byName = map[string]peer.ID{}
	for p, c := range w.members {
		k := strings.ToLower(c.Name)
		c := first[p]
		if o, ok := w.byName[k]; ok {
			oc := first[o]
			if oc.NotBefore < c.NotBefore || (oc.NotBefore == c.NotBefore && bytes.Compare(oc.Serial, c.Serial) < 0) {
				continue
			}
		}
		w.byName[k] = p
	}
}

// Roster is the replicated roster of every workgroup this node is in,
// indexed in memory. It implements Directory and is safe for concurrent
// use. The Service keeps it in step with SQLite.
type Roster struct {
	mu   sync.RWMutex
	self peer.ID
	wgs  map[string]*wgState
	now  func() time.Time

	watchMu  sync.Mutex
	watchers map[chan struct{}]bool
}

// NewRoster returns an empty roster seen from the node self.
func NewRoster(self peer.ID) *Roster {
	return &Roster{self: self, wgs: map[string]*wgState{}, now: time.Now}
}

// AddWorkgroup adds a workgroup (no-op if known; a root key is kept if
// given).
func (r *Roster) AddWorkgroup(root Root) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w, ok := r.wgs[root.ID]; ok {
		if root.Key != nil {
			w.root.Key = root.Key
		}
		return
	}
	r.wgs[root.ID] = newWGState(root)
}

// Root returns a workgroup's root (with its private key if held).
func (r *Roster) Root(wg string) (Root, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	w, ok := r.wgs[wg]
	if !ok {
		return Root{}, false
	}
	return w.root, true
}

// Merge verifies signed certificates and revocations of wg and adds
// those that are new and valid. Items may come in any order: an admin's
// certificate and the certificates it issued are accepted together. It
// returns the accepted items and how many were refused.
func (r *Roster) Merge(wg string, b Bundle) (added Bundle, refused int) {
	added, refused = r.merge(wg, b)
	if len(added.Certs)+len(added.Revs) > 0 {
		r.notify()
	}
	return added, refused
}

func (r *Roster) merge(wg string, b Bundle) (added Bundle, refused int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, ok := r.wgs[wg]
	if !ok {
		return Bundle{}, len(b.Certs) + len(b.Revs)
	}
	now := r.now()
	added, _, _, refused = w.accept(b, now)
	if len(added.Certs)+len(added.Revs) > 0 {
		w.rebuild(now)
	}
	return added, refused
}

// accept verifies the items of b and adds those that are new and valid
// (without rebuilding the members). It returns them raw and parsed.
func (w *wgState) accept(b Bundle, now time.Time) (added Bundle, addedCerts []*Cert, addedRevs []*Revocation, refused int) {
	// Cheap checks first: signatures are verified only for items that
	// could be accepted (see limits.go).
	b, refused = w.precheck(b)
	certs, revs, bad := w.parse(b)
	refused += bad
	// Fixed point: accept what verifies against the roster so far.
	for progress := true; progress; {
		progress = false
		for i, c := range certs {
			if c == nil {
				continue
			}
			// A bundle may hold the same item twice.
			if _, dup := w.certs[c.Hash]; dup {
				certs[i] = nil
				continue
			}
			if c.IssuerID == "" || (c.IssuerID != c.PeerID && w.isAdmin(c.IssuerID, now)) {
				w.addCert(c)
				added.Certs = append(added.Certs, c.Raw)
				addedCerts = append(addedCerts, c)
				certs[i] = nil
				progress = true
			}
		}
		for i, rv := range revs {
			if rv == nil {
				continue
			}
			if _, dup := w.revs[rv.Hash]; dup {
				revs[i] = nil
				continue
			}
			if rv.IssuerID == "" || w.isAdmin(rv.IssuerID, now) {
				w.addRev(rv)
				added.Revs = append(added.Revs, rv.Raw)
				addedRevs = append(addedRevs, rv)
				revs[i] = nil
				progress = true
			}
		}
	}
	for _, c := range certs {
		if c != nil {
			refused++
		}
	}
	for _, rv := range revs {
		if rv != nil {
			refused++
		}
	}
	return added, addedCerts, addedRevs, refused
}

// Refresh recomputes every workgroup's members (certificates expire),
// telling watchers if anything changed.
func (r *Roster) Refresh() {
	r.mu.Lock()
	now := r.now()
	changed := false
	for _, w := range r.wgs {
		before := len(w.members)
		w.rebuild(now)
		changed = changed || len(w.members) != before
	}
	r.mu.Unlock()
	if changed {
		r.notify()
	}
}

// Digest returns the sorted hashes of every item of wg.
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
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i], out[j]) < 0 })
	return out
}

// Missing returns the items of wg whose hashes are not in have, and the
// hashes of have that this roster lacks.
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
		if !c && !rv {
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
	}
	return b
}

// All returns every item of wg.
func (r *Roster) All(wg string) Bundle {
	b, _ := r.Missing(wg, nil)
	return b
}

// IsRevoked reports whether p is revoked in wg.
func (r *Roster) IsRevoked(wg string, p peer.ID) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	w, ok := r.wgs[wg]
	return ok && w.revoked[p]
}

// RevokedAnywhere reports whether p is revoked in any workgroup.
func (r *Roster) RevokedAnywhere(p peer.ID) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, w := range r.wgs {
		if w.revoked[p] {
			return true
		}
	}
	return false
}

// IsAdmin reports whether p is an admin of wg.
func (r *Roster) IsAdmin(wg string, p peer.ID) bool {
	m, ok := r.Member(wg, p)
	return ok && m.HasRole(RoleAdmin)
}

// Known reports whether this node holds the roster of wg (it created or
// joined it, even if it has since been revoked).
func (r *Roster) Known(wg string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.wgs[wg]
	return ok
}

// KnownIDs lists the IDs of every workgroup whose roster this node holds.
func (r *Roster) KnownIDs() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.wgs))
	for id := range r.wgs {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Member implements Directory.
func (r *Roster) Member(wg string, p peer.ID) (Member, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	w, ok := r.wgs[wg]
	if !ok {
		return Member{}, false
	}
	c, ok := w.members[p]
	if !ok {
		return Member{}, false
	}
	return c.member(w.root.Name), true
}

// Memberships implements Directory.
func (r *Roster) Memberships(p peer.ID) []Member {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Member
	for _, w := range r.wgs {
		if c, ok := w.members[p]; ok {
			out = append(out, c.member(w.root.Name))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Workgroup < out[j].Workgroup })
	return out
}

// ByName implements Directory.
func (r *Roster) ByName(wg, name string) (Member, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	w, ok := r.wgs[wg]
	if !ok {
		return Member{}, false
	}
	p, ok := w.byName[strings.ToLower(name)]
	if !ok {
		return Member{}, false
	}
	return w.members[p].member(w.root.Name), true
}

// Members implements Directory (sorted by name).
func (r *Roster) Members(wg string) []Member {
	r.mu.RLock()
	defer r.mu.RUnlock()
	w, ok := r.wgs[wg]
	if !ok {
		return nil
	}
	out := make([]Member, 0, len(w.members))
	for _, c := range w.members {
		out = append(out, c.member(w.root.Name))
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := strings.ToLower(out[i].Name), strings.ToLower(out[j].Name)
		if a != b {
			return a < b
		}
		return out[i].PeerID < out[j].PeerID
	})
	return out
}

// Workgroups implements Directory: the workgroups in which this node holds
// a valid, unrevoked certificate, sorted by name.
func (r *Roster) Workgroups() []Info {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Info
	for id, w := range r.wgs {
		if _, ok := w.members[r.self]; ok {
			out = append(out, Info{ID: id, Name: w.root.Name})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Self implements Directory.
func (r *Roster) Self(wg string) (Member, bool) { return r.Member(wg, r.self) }

// MemberAnywhere reports whether p is a valid member of any workgroup.
func (r *Roster) MemberAnywhere(p peer.ID) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, w := range r.wgs {
		if _, ok := w.members[p]; ok {
			return true
		}
	}
	return false
}

// InAny reports whether this node is a valid member of any workgroup.
func (r *Roster) InAny() bool { return r.MemberAnywhere(r.self) }

// removeWorkgroup forgets a workgroup (undoing a join that could not be
// stored).
func (r *Roster) removeWorkgroup(wg string) {
	r.mu.Lock()
	delete(r.wgs, wg)
	r.mu.Unlock()
	r.notify()
}

// load adds stored items of wg without the admin checks of Merge: they
// were checked when first accepted (a revocation stays in force even if
// its issuer was removed later). Signatures are still verified.
func (r *Roster) load(wg string, b Bundle) (bad int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, ok := r.wgs[wg]
	if !ok {
		return len(b.Certs) + len(b.Revs)
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
