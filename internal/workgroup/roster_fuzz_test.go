package workgroup

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// The properties FuzzRosterSync checks of a roster (fuzz_test.go). Fuzzed
// bytes almost never make a validly signed item, so besides decoding them
// as protocol messages the target reads them as a script over rosterPool:
// a fixed set of items signed by fuzzRoot, admins and members, some of
// which no roster may ever accept. Each script byte adds pool item
// b%len(pool) to the bundle being built; 0xff merges it.

// fuzzNow is the roster clock of the fuzz targets.
var fuzzNow = time.Unix(1_750_000_100, 0)

// rosterPool holds the script's items and what is known of them.
type rosterPool struct {
	items []poolItem
	// peers by letter, for the checks (A and B admins, M a plain member).
	peers map[string]peer.ID
	// signers by letter, for tests that sign more items.
	signers map[string]Signer
	// never holds the hashes no roster may accept (bad issuer, bad
	// signature, another workgroup, self-issued).
	never map[[32]byte]string
	// outsiders are peers whose every certificate is in never.
	outsiders []string
}

// poolItem is one item: a bundle holding only it.
type poolItem struct {
	what string
	b    Bundle
}

var (
	poolOnce sync.Once
	pool     *rosterPool
)

// fuzzPool builds the pool once (deterministic keys and times, so a
// script means the same items in every run).
func fuzzPool(t testing.TB) *rosterPool {
	poolOnce.Do(func() { pool = buildPool(t) })
	if pool == nil {
		t.Fatal("pool not built")
	}
	return pool
}

func buildPool(t testing.TB) *rosterPool {
	root := fuzzRoot()
	other := func() *Root {
		seed := make([]byte, 32)
		seed[0] = 0xee
		key := ed25519.NewKeyFromSeed(seed)
		pub := key.Public().(ed25519.PublicKey)
		return &Root{ID: IDOf(pub), Name: "other", Pub: pub, Key: key}
	}()
	const age = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
	at := time.Unix(1_750_000_000, 0)
	p := &rosterPool{peers: map[string]peer.ID{}, signers: map[string]Signer{}, never: map[[32]byte]string{}}
	tp := map[string]tpeer{}
	for i, l := range []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "M"} {
		seed := make([]byte, 32)
		seed[0], seed[1] = 2, byte(i)
		k, err := crypto.UnmarshalEd25519PrivateKey(ed25519.NewKeyFromSeed(seed))
		if err != nil {
			t.Fatal(err)
		}
		id, _ := peer.IDFromPrivateKey(k)
		tp[l] = tpeer{key: k, id: id, age: age}
		p.peers[l] = id
		p.signers[l] = tp[l].signer(t)
	}
	serial := byte(0)
	cert := func(s Signer, r *Root, l string, when time.Time, groups []string, roles ...string) []byte {
		serial++
		b := body(r, "m"+l, tp[l], roles...)
		b.Groups, b.Serial = groups, append(make([]byte, 15), serial)
		raw, err := IssueCert(s, b, when)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	rev := func(s Signer, r *Root, l string, when time.Time) []byte {
		raw, err := IssueRevocation(s, r.ID, tp[l].id, "m"+l, when)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	name := func(s Signer, n string, when time.Time) []byte {
		raw, err := IssueName(s, root.ID, n, nil, when)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	rs := RootSigner(root.Key)
	by := func(l string) Signer { return tp[l].signer(t) }
	add := func(what string, never bool, b Bundle) {
		p.items = append(p.items, poolItem{what, b})
		if never {
			for _, raw := range slices.Concat(b.Certs, b.Revs, b.Names) {
				p.never[sha256.Sum256(raw)] = what
			}
		}
	}
	c := func(what string, never bool, raw []byte) { add(what, never, Bundle{Certs: [][]byte{raw}}) }
	r := func(what string, never bool, raw []byte) { add(what, never, Bundle{Revs: [][]byte{raw}}) }
	n := func(what string, never bool, raw []byte) { add(what, never, Bundle{Names: [][]byte{raw}}) }

	goodC := cert(rs, root, "C", at, []string{"ops", "dev"})
	flipped := slices.Clone(goodC)
	flipped[len(flipped)-3] ^= 1
	expired := body(root, "mJ", tp["J"])
	expired.NotBefore, expired.NotAfter, expired.Serial = at.Add(-2*time.Hour).Unix(), at.Add(-time.Hour).Unix(), make([]byte, 16)
	expiredJ, err := IssueCert(rs, expired, at)
	if err != nil {
		t.Fatal(err)
	}
	selfAdmin := func(l string) []byte { return cert(by(l), root, l, at, nil, RoleAdmin) }

	c("A admin by root", false, cert(rs, root, "A", at, nil, RoleAdmin))                           // 0
	c("B admin by A", false, cert(by("A"), root, "B", at, nil, RoleAdmin))                         // 1
	c("C by root", false, goodC)                                                                   // 2
	c("D by A", false, cert(by("A"), root, "D", at, []string{"ops"}))                              // 3
	c("E by B", false, cert(by("B"), root, "E", at, nil))                                          // 4
	c("F by M (no admin)", true, cert(by("M"), root, "F", at, nil))                                // 5
	c("M by root", false, cert(rs, root, "M", at, nil))                                            // 6
	c("C reissued by root", false, cert(rs, root, "C", at.Add(20*time.Second), []string{"dev"}))   // 7
	c("G admin self-issued", true, selfAdmin("G"))                                                 // 8
	c("H by another root", true, cert(RootSigner(other.Key), other, "H", at, nil))                 // 9
	c("C signature flipped", true, flipped)                                                        // 10
	c("I by A after A's revocation", false, cert(by("A"), root, "I", at.Add(50*time.Second), nil)) // 11
	c("M admin self-issued", true, selfAdmin("M"))                                                 // 12
	c("C reissued by A", false, cert(by("A"), root, "C", at.Add(30*time.Second), []string{"ops"})) // 13
	c("J by root, expired", false, expiredJ)                                                       // 14
	c("K by E (no admin)", true, cert(by("E"), root, "K", at, nil))                                // 15
	r("D revoked by root", false, rev(rs, root, "D", at))                                          // 16
	r("A revoked by root", false, rev(rs, root, "A", at.Add(10*time.Second)))                      // 17
	r("C revoked by M (no admin)", true, rev(by("M"), root, "C", at))                              // 18
	r("E revoked by B", false, rev(by("B"), root, "E", at))                                        // 19
	r("C revoked by another root", true, rev(RootSigner(other.Key), other, "C", at))               // 20
	r("M revoked by A", false, rev(by("A"), root, "M", at))                                        // 21
	n("name by root", false, name(rs, "renamed", at))                                              // 22
	n("name by A", false, name(by("A"), "by admin", at.Add(40*time.Second)))                       // 23
	n("name by M (no admin)", true, name(by("M"), "by mallory", at.Add(60*time.Second)))           // 24
	add("C and B together", false, Bundle{Certs: [][]byte{goodC, p.items[1].b.Certs[0]}})          // 25
	p.outsiders = []string{"F", "G", "H", "K"}
	return p
}

// script returns the bundles a script's bytes make.
func (p *rosterPool) script(data []byte) []Bundle {
	const maxSteps = 64
	var out []Bundle
	var cur Bundle
	for i, b := range data {
		if i == maxSteps {
			break
		}
		if b == 0xff {
			out = append(out, cur)
			cur = Bundle{}
			continue
		}
		it := p.items[int(b)%len(p.items)].b
		cur.Certs = append(cur.Certs, it.Certs...)
		cur.Revs = append(cur.Revs, it.Revs...)
		cur.Names = append(cur.Names, it.Names...)
	}
	return append(out, cur)
}

// newFuzzRoster returns an empty roster of fuzzRoot's workgroup.
func newFuzzRoster() *Roster {
	r := NewRoster("self")
	r.now = func() time.Time { return fuzzNow }
	r.AddWorkgroup(*fuzzRoot())
	return r
}

// rosterView is what a roster says of the pool's peers: members (with
// name, roles and groups) and revocations.
type rosterView struct {
	members string
	revoked []string
}

func viewOf(r *Roster, wg string, p *rosterPool) rosterView {
	var v rosterView
	for _, m := range r.Members(wg) {
		v.members += fmt.Sprintf("%s %s %v %v; ", m.PeerID, m.Name, m.Roles, m.Groups)
	}
	for l, id := range p.peers {
		if r.IsRevoked(wg, id) {
			v.revoked = append(v.revoked, l)
		}
	}
	slices.Sort(v.revoked)
	return v
}

// mergeChecked merges b into r and checks what the merge returned and
// the roster against the properties; revoked collects every peer ever
// seen revoked (a revocation is never undone).
func mergeChecked(t *testing.T, r *Roster, wg string, b Bundle, p *rosterPool, revoked map[peer.ID]bool) {
	t.Helper()
	before := r.Digest(wg)
	added, refused := r.Merge(wg, b)
	if added.Len() > b.Len() || refused > b.Len() {
		t.Fatalf("merge of %d items: %d added, %d refused", b.Len(), added.Len(), refused)
	}
	digest := r.Digest(wg)
	held := hashSet(digest)
	for _, raw := range slices.Concat(added.Certs, added.Revs, added.Names) {
		h := sha256.Sum256(raw)
		// A name item may be added and replaced by a newer one of the
		// same bundle: only the newest is held.
		if !held[h] && !slices.ContainsFunc(added.Names, func(n []byte) bool { return bytes.Equal(n, raw) }) {
			t.Fatalf("merge reported an item added that the roster does not hold")
		}
		if bytes.Contains(bytes.Join(before, nil), h[:]) {
			t.Fatalf("merge reported an item added that the roster held before")
		}
	}
	// Merging the same items again changes nothing.
	view := viewOf(r, wg, p)
	if again, _ := r.Merge(wg, b); again.Len() != 0 {
		t.Fatalf("the same bundle merged twice added %d items the second time", again.Len())
	}
	if d := r.Digest(wg); !slices.EqualFunc(d, digest, bytes.Equal) {
		t.Fatalf("the same bundle merged twice changed the digest")
	}
	if v := viewOf(r, wg, p); v.members != view.members || !slices.Equal(v.revoked, view.revoked) {
		t.Fatalf("the same bundle merged twice changed the roster:\n%+v\n%+v", view, v)
	}
	checkRoster(t, r, wg, p, revoked)
}

// checkRoster checks the properties every roster state must have.
func checkRoster(t *testing.T, r *Roster, wg string, p *rosterPool, rootRevoked map[peer.ID]bool) {
	t.Helper()
	all := r.All(wg)
	digest := r.Digest(wg)
	root, _ := r.Root(wg)

	// Digest, All, Items and Missing agree.
	var hashes [][]byte
	for _, raw := range slices.Concat(all.Certs, all.Revs, all.Names) {
		h := sha256.Sum256(raw)
		hashes = append(hashes, h[:])
	}
	slices.SortFunc(hashes, bytes.Compare)
	if !slices.EqualFunc(hashes, digest, bytes.Equal) {
		t.Fatalf("digest of %d hashes, All of %d items", len(digest), all.Len())
	}
	if items := r.Items(wg, digest); !sameItems(items, all) {
		t.Fatalf("Items(digest) is not All")
	}
	if lack, want := r.Missing(wg, digest); lack.Len() != 0 || len(want) != 0 {
		t.Fatalf("Missing(own digest): they lack %d, we lack %d", lack.Len(), len(want))
	}
	unknown := bytes.Repeat([]byte{0xab}, 32)
	half := append(slices.Clone(digest[:len(digest)/2]), unknown, []byte("short"))
	lack, want := r.Missing(wg, half)
	if len(want) != 1 || !bytes.Equal(want[0], unknown) {
		t.Fatalf("Missing: we lack %d hashes, want the one unknown", len(want))
	}
	if got := hashSet(append(slices.Clone(half[:len(half)-2]), bundleHashes(lack)...)); len(got) != len(digest) || lack.Len() != len(digest)-len(digest)/2 {
		t.Fatalf("Missing: they lack %d items of %d, having %d", lack.Len(), len(digest), len(digest)/2)
	}
	if b := r.Items(wg, [][]byte{unknown, nil, []byte("short")}); b.Len() != 0 {
		t.Fatalf("Items of unknown hashes: %d items", b.Len())
	}

	// Nothing the roster must refuse is held.
	for _, h := range digest {
		if what, bad := p.never[[32]byte(h)]; bad {
			t.Fatalf("roster holds %q", what)
		}
	}

	// Every item held was issued by the root or by a peer holding an
	// admin certificate (not its own) in the roster.
	certs := map[peer.ID][]*Cert{}
	for _, raw := range all.Certs {
		c, err := ParseCert(raw, root.Pub)
		if err != nil {
			t.Fatalf("roster holds a certificate that does not parse: %v", err)
		}
		certs[c.PeerID] = append(certs[c.PeerID], c)
	}
	adminBy := func(iss peer.ID, not [32]byte) bool {
		for _, c := range certs[iss] {
			if c.HasRole(RoleAdmin) && c.Hash != not {
				return true
			}
		}
		return false
	}
	for _, cs := range certs {
		for _, c := range cs {
			if c.IssuerID != "" && (c.IssuerID == c.PeerID || !adminBy(c.IssuerID, c.Hash)) {
				t.Fatalf("roster holds %s's certificate issued by %s, no admin", c.Name, c.IssuerID)
			}
		}
	}
	var revs []*Revocation
	for _, raw := range all.Revs {
		rv, err := ParseRevocation(raw, root.Pub)
		if err != nil {
			t.Fatalf("roster holds a revocation that does not parse: %v", err)
		}
		if rv.IssuerID != "" && !adminBy(rv.IssuerID, [32]byte{}) {
			t.Fatalf("roster holds %s's revocation issued by %s, no admin", rv.Name, rv.IssuerID)
		}
		revs = append(revs, rv)
	}
	// The revocations in force, replayed in time order: one counts when
	// its issuer is the root or was an admin at its time (a chain to the
	// root, valid then, through no peer revoked by then).
	revokedAt := map[peer.ID]int64{}
	var chainAt func(c *Cert, at int64, depth int) bool
	chainAt = func(c *Cert, at int64, depth int) bool {
		gone := func(p peer.ID) bool { t, ok := revokedAt[p]; return ok && t <= at }
		if !c.ValidAt(time.Unix(at, 0)) || gone(c.PeerID) {
			return false
		}
		if c.IssuerID == "" {
			return true
		}
		if depth >= MaxChainDepth || c.IssuerID == c.PeerID || gone(c.IssuerID) {
			return false
		}
		for _, ic := range certs[c.IssuerID] {
			if ic.HasRole(RoleAdmin) && ic.Hash != c.Hash && chainAt(ic, at, depth+1) {
				return true
			}
		}
		return false
	}
	slices.SortFunc(revs, func(a, b *Revocation) int {
		return cmp.Or(cmp.Compare(a.Time, b.Time), bytes.Compare(a.Hash[:], b.Hash[:]))
	})
	isRevoked := map[peer.ID]bool{}
	for _, rv := range revs {
		at := min(rv.Time, fuzzNow.Unix())
		admin := rv.IssuerID == ""
		for _, c := range certs[rv.IssuerID] {
			admin = admin || (c.HasRole(RoleAdmin) && chainAt(c, at, 0))
		}
		if admin && !isRevoked[rv.PeerID] {
			isRevoked[rv.PeerID], revokedAt[rv.PeerID] = true, rv.Time
		}
		if rv.IssuerID == "" {
			rootRevoked[rv.PeerID] = true
		}
	}
	for id := range isRevoked {
		if !r.IsRevoked(wg, id) {
			t.Fatalf("%s is revoked by a revocation in force, and not by the roster", id)
		}
	}
	for _, rv := range revs {
		if !isRevoked[rv.PeerID] && r.IsRevoked(wg, rv.PeerID) {
			t.Fatalf("%s is revoked by the roster, by no revocation in force", rv.PeerID)
		}
	}
	for _, raw := range all.Names {
		n, err := ParseName(raw, root.Pub)
		if err != nil {
			t.Fatalf("roster holds a name item that does not parse: %v", err)
		}
		if n.IssuerID != "" && !adminBy(n.IssuerID, [32]byte{}) {
			t.Fatalf("roster holds name %q issued by %s, no admin", n.Name, n.IssuerID)
		}
		if n.Name != root.Name {
			t.Fatalf("name item %q held, display name %q", n.Name, root.Name)
		}
	}

	// A peer the root revoked stays revoked (one an admin revoked is
	// back when a revocation of that admin dated before comes).
	for id := range rootRevoked {
		if !r.IsRevoked(wg, id) {
			t.Fatalf("%s was revoked by the root and is not any more", id)
		}
		if m, ok := r.Member(wg, id); ok {
			t.Fatalf("revoked %s is a member: %+v", id, m)
		}
	}

	// The members are exactly the peers with a certificate whose chain
	// reaches the root through admins, none of them revoked, every one
	// valid now; a member's groups are at most its newest such
	// certificate's.
	var chain func(c *Cert, depth int) bool
	chain = func(c *Cert, depth int) bool {
		if !c.ValidAt(fuzzNow) || isRevoked[c.PeerID] {
			return false
		}
		if c.IssuerID == "" {
			return true
		}
		if depth >= MaxChainDepth || c.IssuerID == c.PeerID || isRevoked[c.IssuerID] {
			return false
		}
		for _, ic := range certs[c.IssuerID] {
			if ic.HasRole(RoleAdmin) && ic.Hash != c.Hash && chain(ic, depth+1) {
				return true
			}
		}
		return false
	}
	members := r.Members(wg)
	for id, cs := range certs {
		var best *Cert
		for _, c := range cs {
			if chain(c, 0) && (best == nil || newer(c, best)) {
				best = c
			}
		}
		m, ok := r.Member(wg, id)
		switch {
		case best == nil && ok:
			t.Fatalf("%s is a member with no certificate chained to the root", m.Name)
		case best != nil && !ok:
			t.Fatalf("%s holds a certificate chained to the root and is no member", best.Name)
		case ok && (m.Name != best.Name || !slices.Equal(m.Roles, best.Roles) || slices.ContainsFunc(m.Groups, func(g string) bool { return !slices.Contains(best.Groups, g) })):
			t.Fatalf("member %+v, certificate in force %+v", m, best.CertBody)
		}
	}
	if len(members) > len(certs) {
		t.Fatalf("%d members, %d peers with certificates", len(members), len(certs))
	}
	for _, l := range p.outsiders {
		if _, ok := r.Member(wg, p.peers[l]); ok {
			t.Fatalf("%s is a member", l)
		}
	}
	if r.IsAdmin(wg, p.peers["M"]) {
		t.Fatalf("M is an admin")
	}
	for _, m := range members {
		if m.Workgroup != wg || m.WorkgroupName != root.Name {
			t.Fatalf("member %+v in workgroup %q (%q)", m, wg, root.Name)
		}
	}
}

func hashSet(hs [][]byte) map[[32]byte]bool {
	out := map[[32]byte]bool{}
	for _, h := range hs {
		if len(h) == 32 {
			out[[32]byte(h)] = true
		}
	}
	return out
}

func bundleHashes(b Bundle) [][]byte {
	var out [][]byte
	for _, raw := range slices.Concat(b.Certs, b.Revs, b.Names) {
		h := sha256.Sum256(raw)
		out = append(out, h[:])
	}
	return out
}

// sameItems reports whether a and b hold the same items, in any order.
func sameItems(a, b Bundle) bool {
	x, y := bundleHashes(a), bundleHashes(b)
	slices.SortFunc(x, bytes.Compare)
	slices.SortFunc(y, bytes.Compare)
	return slices.EqualFunc(x, y, bytes.Equal)
}

// runScript merges a script's bundles into a fresh roster, checking
// every state, then every item of the script once more (as the other
// members offer what a roster lacks at every sync: an item refused
// because its issuer's certificate had not come yet is taken then).
// A roster given the same items another way (the bundles in reverse
// order, or one sync from the first) must then show the same members,
// revocations (revocations count by a replay in time order:
// revocations.go) and display name (the newest name item in force:
// name.go) and, unless an admin is revoked, hold the same items (a
// certificate dated after its issuer's revocation is held by a roster
// that took it before that revocation and refused by the others; void in
// both).
func runScript(t *testing.T, data []byte) {
	p := fuzzPool(t)
	wg := fuzzRoot().ID
	bundles := p.script(data)
	var union Bundle
	for _, b := range bundles {
		union.Certs = append(union.Certs, b.Certs...)
		union.Revs = append(union.Revs, b.Revs...)
		union.Names = append(union.Names, b.Names...)
	}
	run := func(order []Bundle) *Roster {
		r := newFuzzRoster()
		revoked := map[peer.ID]bool{}
		for _, b := range order {
			mergeChecked(t, r, wg, b, p, revoked)
		}
		mergeChecked(t, r, wg, union, p, revoked)
		return r
	}
	r := run(bundles)
	reversed := run(slices.Collect(func(yield func(Bundle) bool) {
		for _, b := range slices.Backward(bundles) {
			if !yield(b) {
				return
			}
		}
	}))
	synced := newFuzzRoster()
	theyLack, _ := r.Missing(wg, synced.Digest(wg))
	mergeChecked(t, synced, wg, theyLack, p, map[peer.ID]bool{})
	want := viewOf(r, wg, p)
	for _, o := range []struct {
		how string
		r   *Roster
	}{{"the bundles in reverse order", reversed}, {"one sync from the first roster", synced}} {
		if got := viewOf(o.r, wg, p); got.members != want.members || !slices.Equal(got.revoked, want.revoked) {
			t.Fatalf("the same items given as %s make other members:\n%+v\nwant\n%+v", o.how, got, want)
		}
		if a, b := rootName(o.r, wg), rootName(r, wg); a != b {
			t.Fatalf("the same items given as %s make the display name %q, not %q", o.how, a, b)
		}
		// A certificate dated after its issuer's revocation is held by a
		// roster that took it first and refused by the others (void in
		// both); so the items held may differ when an admin is revoked.
		if d := o.r.Digest(wg); !revokesAdmin(union) && !slices.EqualFunc(d, r.Digest(wg), bytes.Equal) {
			// What one roster holds and the other refuses would be
			// offered again at every sync.
			t.Fatalf("the same items given as %s make a roster of %d items, not %d", o.how, len(d), len(r.Digest(wg)))
		}
	}
}

// revokesAdmin reports whether b revokes a peer it holds an admin
// certificate of (signatures unchecked: pool items only).
func revokesAdmin(b Bundle) bool {
	admins := map[string]bool{}
	for _, raw := range b.Certs {
		var cb CertBody
		if peekBody(raw, &cb) == nil && slices.Contains(cb.Roles, RoleAdmin) {
			admins[string(cb.Peer)] = true
		}
	}
	for _, raw := range b.Revs {
		var rb RevocationBody
		if peekBody(raw, &rb) == nil && admins[string(rb.Peer)] {
			return true
		}
	}
	return false
}
