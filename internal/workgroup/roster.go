package workgroup

import (
	"bytes"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Bundle is a set of signed roster items of one workgroup.
type Bundle struct {
	Certs [][]byte `cbor:"1,keyasint,omitempty"`
	Revs  [][]byte `cbor:"2,keyasint,omitempty"`
	// Names are signed display names (name.go). Nodes that predate them
	// ignore the key: unknown map keys decode to nothing.
	Names [][]byte `cbor:"3,keyasint,omitempty"`
}

// Len is the number of items of b.
func (b Bundle) Len() int { return len(b.Certs) + len(b.Revs) + len(b.Names) }

// wgState is the in-memory roster of one workgroup.
type wgState struct {
	root   Root
	certs  map[[32]byte]*Cert
	revs   map[[32]byte]*Revocation
	byPeer map[peer.ID][]*Cert
	names  map[[32]byte]*NameItem // name items kept (name.go)
	base   string                 // display name while no name item is in force (given at creation or join)
	// derived by rebuild (revoked, revTime, revFirst: replayRevocations;
	// name and root.Name: pickName)
	name     *NameItem // the name item in force (nil: none)
	revoked  map[peer.ID]bool
	revTime  map[peer.ID]int64       // time (unix s) of the revocation in force per revoked peer
	revFirst map[peer.ID]*Revocation // that revocation
	members  map[peer.ID]*Cert       // best valid certificate per peer
	byName   map[string]peer.ID
	gen      *atomic.Uint64 // the roster's generation, bumped by rebuild
}

func newWGState(root Root, gen *atomic.Uint64) *wgState {
	return &wgState{root: root, base: root.Name, gen: gen, certs: map[[32]byte]*Cert{}, revs: map[[32]byte]*Revocation{}, names: map[[32]byte]*NameItem{},
		byPeer: map[peer.ID][]*Cert{}, revoked: map[peer.ID]bool{}, revTime: map[peer.ID]int64{}, revFirst: map[peer.ID]*Revocation{}, members: map[peer.ID]*Cert{}, byName: map[string]peer.ID{}}
}

// chainOK reports whether c is valid at now: inside its window, its peer
// unrevoked, and signed by the root or by an admin whose own certificate
// is chain-valid (at most MaxChainDepth admins deep).
func (w *wgState) chainOK(c *Cert, now time.Time, depth int) bool {
	return w.chainOKExcept(c, now, depth, "")
}

// chainOKExcept is chainOK ignoring the revocation of peer except (to
// tell whether a revoked admin was one).
func (w *wgState) chainOKExcept(c *Cert, now time.Time, depth int, except peer.ID) bool {
	return w.chainHolds(c, now, depth, func(p peer.ID) bool { return p != except && w.revoked[p] })
}

// chainHolds reports whether c is inside its window at at, its peer not
// gone, and signed by the root or by an admin, not gone, whose own
// certificate's chain holds (at most MaxChainDepth admins deep). gone
// says which peers' revocations count: chainOK's, revocations.go's.
func (w *wgState) chainHolds(c *Cert, at time.Time, depth int, gone func(peer.ID) bool) bool {
	if !c.ValidAt(at) || gone(c.PeerID) {
		return false
	}
	if c.IssuerID == "" {
		return true
	}
	if depth >= MaxChainDepth || gone(c.IssuerID) {
		return false
	}
	for _, ic := range w.byPeer[c.IssuerID] {
		if ic.HasRole(RoleAdmin) && ic.Hash != c.Hash && w.chainHolds(ic, at, depth+1, gone) {
			return true
		}
	}
	return false
}

// isAdmin reports whether p holds a chain-valid admin certificate.
func (w *wgState) isAdmin(p peer.ID, now time.Time) bool {
	return w.holdsAdmin(p, func(c *Cert) bool { return w.chainOK(c, now, 0) })
}

// holdsAdmin reports whether one of p's admin certificates passes ok.
func (w *wgState) holdsAdmin(p peer.ID, ok func(*Cert) bool) bool {
	for _, c := range w.byPeer[p] {
		if c.HasRole(RoleAdmin) && ok(c) {
			return true
		}
	}
	return false
}

func (w *wgState) addCert(c *Cert) {
	w.certs[c.Hash] = c
	w.byPeer[c.PeerID] = append(w.byPeer[c.PeerID], c)
}

// addRev stores r; which revocations count is decided by
// replayRevocations (revocations.go).
func (w *wgState) addRev(r *Revocation) {
	w.revs[r.Hash] = r
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

// Generation returns a number that changes whenever who is a member, or
// a member's certificate (its name, groups, roles), may have changed
// (in any of its workgroups: every rebuild, a workgroup added or
// forgotten). It is this roster's own: several nodes in one process
// (testnet) do not move each other's. It is bumped under the write lock, after
// the change: an answer read after a Generation call is at least as new
// as that generation, so a cache of Member's answers tagged with the
// generation read before asking is never stale when the tag is current.
func (r *Roster) Generation() uint64 { return r.gen.Load() }

// rebuild recomputes the valid members, the name index and the name in
// force.
func (w *wgState) rebuild(now time.Time) {
	defer w.gen.Add(1)
	w.replayRevocations(now)
	w.pickName(now)
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
			w.members[p], first[p] = w.inForce(best, now), old
		}
	}
	// Names are unique case-insensitively; should two admins ever issue
	// the same name at once, the member admitted first (the older first
	// certificate, then the smaller peer ID) owns the name everywhere;
	// the others are shown with NameConflict.
	w.byName = map[string]peer.ID{}
	for p, c := range w.members {
		k := strings.ToLower(c.Name)
		c := first[p]
		if o, ok := w.byName[k]; ok {
			oc := first[o]
			if oc.NotBefore < c.NotBefore || (oc.NotBefore == c.NotBefore && o < p) {
				continue
			}
		}
		w.byName[k] = p
	}
}

// member returns the Member c describes (c in force), marking a name
// held by an earlier member.
func (w *wgState) member(c *Cert) Member {
	m := c.member(w.root.Name)
	m.NameConflict = w.byName[strings.ToLower(c.Name)] != c.PeerID
	return m
}

// Roster is the replicated roster of every workgroup this node is in,
// indexed in memory. It implements Directory and is safe for concurrent
// use. The Service keeps it in step with SQLite.
type Roster struct {
	mu   sync.RWMutex
	self peer.ID
	wgs  map[string]*wgState
	now  func() time.Time
	gen  atomic.Uint64 // Generation

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
	r.wgs[root.ID] = newWGState(root, &r.gen)
	r.gen.Add(1)
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
	if added.Len() > 0 {
		r.notify()
	}
	return added, refused
}

func (r *Roster) merge(wg string, b Bundle) (added Bundle, refused int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, ok := r.wgs[wg]
	if !ok {
		return Bundle{}, b.Len()
	}
	now := r.now()
	added, _, refused = w.accept(b, now)
	if added.Len() > 0 {
		w.rebuild(now)
	}
	return added, refused
}

// accepted is what accept changed, for undo: the items added, and the
// name items they made the roster drop.
type accepted struct {
	certs   []*Cert
	revs    []*Revocation
	names   []*NameItem
	dropped []*NameItem
}

// accept verifies the items of b and adds those that are new and valid
// (without rebuilding the members). It returns them raw, and what changed.
func (w *wgState) accept(b Bundle, now time.Time) (added Bundle, ch accepted, refused int) {
	// Cheap checks first: signatures are verified only for items that
	// could be accepted (see limits.go).
	b, refused = w.precheck(b)
	certs, revs, names, bad := w.parse(b)
	refused += bad
	// Fixed point: accept what verifies against the roster so far.
	revsAdded := false
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
			if c.IssuerID == "" || (c.IssuerID != c.PeerID && (w.isAdmin(c.IssuerID, now) || w.issuedBeforeRevocation(c, now))) {
				w.addCert(c)
				added.Certs = append(added.Certs, c.Raw)
				ch.certs = append(ch.certs, c)
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
			if w.storableRevocation(rv, now) {
				w.addRev(rv)
				added.Revs = append(added.Revs, rv.Raw)
				ch.revs = append(ch.revs, rv)
				revs[i] = nil
				progress, revsAdded = true, true
			}
		}
		if revsAdded { // the next pass judges certificates by them
			w.replayRevocations(now)
			revsAdded = false
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
	// Names last: their issuer may be an admin admitted by this bundle;
	// the newest first, so none added is dropped by a later one.
	slices.SortFunc(names, newestNameFirst)
	for _, n := range names {
		if ok, dropped := w.acceptName(n, now); ok {
			added.Names = append(added.Names, n.Raw)
			ch.names = append(ch.names, n)
			ch.dropped = append(ch.dropped, dropped...)
		} else {
			refused++
		}
	}
	return added, ch, refused
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
	return w.member(c), true
}

// MemberName returns the name of p's membership of wg: Member(wg,
// p).Name without building the Member (its roles and groups copied), for
// a caller that shows names (chat names a message's author per message).
func (r *Roster) MemberName(wg string, p peer.ID) (string, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if w, ok := r.wgs[wg]; ok {
		if c, ok := w.members[p]; ok {
			return c.Name, true
		}
	}
	return "", false
}

// Memberships implements Directory: only workgroups this node is still
// in count (not those it was removed from; see Removal), so no service
// works for a workgroup this node was removed from.
func (r *Roster) Memberships(p peer.ID) []Member {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Member
	for _, w := range r.wgs {
		if _, in := w.members[r.self]; !in {
			continue
		}
		if c, ok := w.members[p]; ok {
			out = append(out, w.member(c))
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
	return w.member(w.members[p]), true
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
		out = append(out, w.member(c))
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
	r.gen.Add(1)
	r.mu.Unlock()
	r.notify()
}
