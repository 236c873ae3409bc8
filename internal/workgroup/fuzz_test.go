package workgroup

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/wire"
)

// fuzzRoot is a fixed root, so seeds built with it stay valid.
func fuzzRoot() *Root {
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	pub := key.Public().(ed25519.PublicKey)
	return &Root{ID: IDOf(pub), Name: "fuzz", Pub: pub, Key: key}
}

// fuzzSeeds returns valid items signed by fuzzRoot.
func fuzzSeeds(t testing.TB) (cert, adminCert, subCert, rev []byte, tok string, hello, reply, push, joinReq []byte) {
	root := fuzzRoot()
	seed := make([]byte, 32)
	seed[0] = 1
	k, _ := crypto.UnmarshalEd25519PrivateKey(ed25519.NewKeyFromSeed(seed))
	id, _ := peer.IDFromPrivateKey(k)
	p := tpeer{key: k, id: id, age: "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"}
	at := time.Unix(1_750_000_000, 0)
	mk := func(s Signer, b CertBody) []byte {
		b.Serial = make([]byte, 16)
		raw, err := IssueCert(s, b, at)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	cert = mk(RootSigner(root.Key), body(root, "alpha", p))
	adminCert = mk(RootSigner(root.Key), body(root, "admin", p, RoleAdmin))
	subCert = mk(p.signer(t), body(root, "sub", p))
	rev, _ = IssueRevocation(RootSigner(root.Key), root.ID, p.id, "alpha", at)
	tok, _ = Token{Workgroup: root.ID, RootPub: root.Pub, Name: root.Name, Secret: make([]byte, 32), Expires: at.Unix(),
		Inviter: []byte(p.id), Addrs: []string{"/ip4/127.0.0.1/tcp/4317"}}.Encode()
	for _, c := range [][]byte{cert, adminCert, subCert} {
		if _, err := ParseCert(c, root.Pub); err != nil {
			t.Fatalf("seed certificate: %v", err)
		}
	}
	if _, err := ParseToken(tok); err != nil {
		t.Fatalf("seed token: %v", err)
	}
	h := [32]byte{}
	hello, _ = wire.Marshal(SyncHello{Workgroup: root.ID, Have: [][]byte{h[:]}})
	reply, _ = wire.Marshal(SyncReply{Items: Bundle{Certs: [][]byte{adminCert, subCert}, Revs: [][]byte{rev}}, Want: [][]byte{h[:]}})
	push, _ = wire.Marshal(SyncPush{Items: Bundle{Certs: [][]byte{cert}}})
	joinReq, _ = wire.Marshal(JoinRequest{Workgroup: root.ID, Secret: make([]byte, 32), Name: "x", AgeRecipient: p.age})
	return
}

func FuzzParseCert(f *testing.F) {
	cert, admin, sub, rev, _, _, _, _, _ := fuzzSeeds(f)
	for _, s := range [][]byte{cert, admin, sub, rev, {0xa0}, nil} {
		f.Add(s)
	}
	root := fuzzRoot()
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := ParseCert(data, root.Pub); err == nil {
			if c.Workgroup != root.ID || len(c.Serial) < 8 {
				t.Fatalf("accepted a bad certificate: %+v", c)
			}
		}
		if r, err := ParseRevocation(data, root.Pub); err == nil && r.Workgroup != root.ID {
			t.Fatalf("accepted a bad revocation: %+v", r)
		}
	})
}

// nameSeeds returns a name item signed by fuzzRoot and a sync reply
// carrying it beside a certificate.
func nameSeeds(t testing.TB) (name, reply []byte) {
	root := fuzzRoot()
	name, err := IssueName(RootSigner(root.Key), root.ID, "renamed", nil, time.Unix(1_750_000_050, 0))
	if err != nil {
		t.Fatal(err)
	}
	cert, _, _, _, _, _, _, _, _ := fuzzSeeds(t)
	reply, _ = wire.Marshal(SyncReply{Items: Bundle{Certs: [][]byte{cert}, Names: [][]byte{name}}})
	return name, reply
}

// FuzzParseName parses name items (the third roster item kind) and merges
// them as a bundle.
func FuzzParseName(f *testing.F) {
	name, reply := nameSeeds(f)
	for _, s := range [][]byte{name, reply, {0xa0}, nil} {
		f.Add(s)
	}
	root := fuzzRoot()
	f.Fuzz(func(t *testing.T, data []byte) {
		if n, err := ParseName(data, root.Pub); err == nil {
			if n.Workgroup != root.ID || validateDisplayName(n.Name) != nil {
				t.Fatalf("accepted a bad name item: %+v", n)
			}
		}
		r := NewRoster("self")
		r.now = func() time.Time { return time.Unix(1_750_000_100, 0) }
		r.AddWorkgroup(*root)
		r.Merge(root.ID, Bundle{Names: [][]byte{data}})
		if got, _ := r.Root(root.ID); validateDisplayName(got.Name) != nil {
			t.Fatalf("display name %q after a merge", got.Name)
		}
		if n := r.NameItemOf(root.ID); n != nil && n.Name != rootName(r, root.ID) {
			t.Fatalf("name item %q, display name %q", n.Name, rootName(r, root.ID))
		}
	})
}

func FuzzParseToken(f *testing.F) {
	_, _, _, _, tok, _, _, _, _ := fuzzSeeds(f)
	for _, s := range []string{tok, "phinv1", "phinv1aaaa", "", tok[:len(tok)/2]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tk, err := ParseToken(s)
		if err != nil {
			if CodeOf(err) != CodeMalformed {
				t.Fatalf("error without the malformed code: %v", err)
			}
			return
		}
		if IDOf(tk.RootPub) != tk.Workgroup || len(tk.Secret) != secretLen {
			t.Fatalf("accepted a bad token: %+v", tk)
		}
		_ = tk.InviterInfo()
	})
}

// FuzzRosterSync reads each input two ways. As protocol messages: it
// decodes every message of the join and roster protocols (and roster
// gossip) and merges whatever items they carry into a roster. As a
// script over rosterPool (roster_fuzz_test.go): it merges validly signed
// items in the order and bundles the bytes choose. After every merge the
// roster must have the properties checkRoster states (nothing is held
// that is not signed by the root or an admin, a revoked peer stays
// revoked and no member, the members are exactly the peers whose
// certificate chains to the root, Digest, All, Items and Missing agree),
// merging the same bundle again must change nothing, and a roster given
// the same items as one sync, or in reverse order, must show the same
// members and revocations.
func FuzzRosterSync(f *testing.F) {
	_, _, _, _, _, hello, reply, push, joinReq := fuzzSeeds(f)
	for _, s := range [][]byte{hello, reply, push, joinReq, {0xa1, 0x01, 0xa0}, nil} {
		f.Add(s)
	}
	for _, s := range rosterScripts {
		f.Add(s)
	}
	root := fuzzRoot()
	p := fuzzPool(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newFuzzRoster()
		revoked := map[peer.ID]bool{}
		var h SyncHello
		if wire.Unmarshal(data, &h) == nil {
			theyLack, weLack := r.Missing(root.ID, h.Have)
			if theyLack.Len() != 0 {
				t.Fatalf("an empty roster offers %d items", theyLack.Len())
			}
			for _, w := range weLack {
				if len(w) != 32 {
					t.Fatalf("asks for a hash of %d bytes", len(w))
				}
			}
			if b := r.Items(root.ID, h.Have); b.Len() != 0 {
				t.Fatalf("an empty roster gives %d items", b.Len())
			}
		}
		var rp SyncReply
		if wire.Unmarshal(data, &rp) == nil {
			mergeChecked(t, r, root.ID, rp.Items, p, revoked)
		}
		var sp SyncPush
		if wire.Unmarshal(data, &sp) == nil {
			mergeChecked(t, r, root.ID, sp.Items, p, revoked)
		}
		var b Bundle
		if wire.Unmarshal(data, &b) == nil {
			mergeChecked(t, r, root.ID, b, p, revoked)
			// A node that predates name items decodes the same bundle
			// (key 3 ignored) with the same certificates and revocations.
			var old struct {
				Certs [][]byte `cbor:"1,keyasint,omitempty"`
				Revs  [][]byte `cbor:"2,keyasint,omitempty"`
			}
			if err := wire.Unmarshal(data, &old); err != nil || len(old.Certs) != len(b.Certs) || len(old.Revs) != len(b.Revs) {
				t.Fatalf("an older node cannot decode a bundle: %v", err)
			}
		}
		var jr JoinRequest
		_ = wire.Unmarshal(data, &jr)
		var jp JoinReply
		_ = wire.Unmarshal(data, &jp)
		checkRoster(t, r, root.ID, p, revoked)
		runScript(t, data)
	})
}

// rosterScripts are seed scripts over rosterPool (see buildPool for
// the item numbers).
var rosterScripts = [][]byte{
	{0, 1, 2, 3, 4, 6, 7, 13, 22, 23, 0xff, 16, 17, 19, 21},     // all good items, then revocations
	{17, 0xff, 0, 1, 3, 4, 11, 13, 23},                          // A revoked first
	{0, 11, 0xff, 17, 0xff, 1, 4},                               // I issued by A after A's revocation
	{5, 6, 8, 9, 10, 12, 15, 18, 20, 24, 0xff, 12, 5, 0xff, 15}, // items never accepted
	{25, 0xff, 4, 19, 0xff, 0, 0xff, 1},                         // B's chain arriving late
	{2, 7, 13, 0xff, 0, 0xff, 17, 0xff, 14},                     // C's certificates and groups
	{22, 0, 23, 0xff, 17},                                       // A renames after its removal, learnt first
}

// TestWriteFuzzCorpus writes the seed corpora to testdata/fuzz when
// PEERHOOD_WRITE_CORPUS is set.
func TestWriteFuzzCorpus(t *testing.T) {
	t.Parallel()
	if os.Getenv("PEERHOOD_WRITE_CORPUS") == "" {
		t.Skip("set PEERHOOD_WRITE_CORPUS=1 to rewrite testdata/fuzz")
	}
	cert, admin, sub, rev, tok, hello, reply, push, joinReq := fuzzSeeds(t)
	write := func(fuzzer string, lines ...string) {
		dir := filepath.Join("testdata", "fuzz", fuzzer)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, l := range lines {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%d", i)), []byte("go test fuzz v1\n"+l+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := func(x []byte) string { return fmt.Sprintf("[]byte(%q)", x) }
	write("FuzzParseCert", b(cert), b(admin), b(sub), b(rev))
	write("FuzzParseToken", fmt.Sprintf("string(%q)", tok), `string("phinv1aaaa")`)
	name, names := nameSeeds(t)
	write("FuzzRosterSync", append([]string{b(hello), b(reply), b(push), b(joinReq), b(names)}, scripts()...)...)
	write("FuzzParseName", b(name))
}

func scripts() []string {
	var out []string
	for _, s := range rosterScripts {
		out = append(out, fmt.Sprintf("[]byte(%q)", s))
	}
	return out
}

func rootName(r *Roster, wg string) string {
	root, _ := r.Root(wg)
	return root.Name
}
