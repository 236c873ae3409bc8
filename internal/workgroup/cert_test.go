package workgroup

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/wire"
)

type tpeer struct {
	key crypto.PrivKey
	id  peer.ID
	age string
}

func newPeer(t testing.TB) tpeer {
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := peer.IDFromPrivateKey(k)
	a, _ := age.GenerateX25519Identity()
	return tpeer{key: k, id: id, age: a.Recipient().String()}
}

func (p tpeer) signer(t testing.TB) Signer {
	s, err := NodeSigner(p.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func body(root *Root, name string, p tpeer, roles ...string) CertBody {
	return CertBody{Workgroup: root.ID, Name: name, Peer: []byte(p.id), AgeRecipient: p.age, Roles: roles}
}

func mustIssue(t testing.TB, s Signer, b CertBody) []byte {
	raw, err := IssueCert(s, b, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// resign decodes a signed item, lets edit change its body, and re-signs
// it with key (to build certificates a real issuer would never make).
func resign(t *testing.T, raw []byte, edit func(*CertBody), s Signer) []byte {
	var sg Signed
	if err := wire.Unmarshal(raw, &sg); err != nil {
		t.Fatal(err)
	}
	var b CertBody
	if err := wire.Unmarshal(sg.Body, &b); err != nil {
		t.Fatal(err)
	}
	edit(&b)
	out, err := IssueCert(s, b, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestIDOf(t *testing.T) {
	t.Parallel()
	r1, _ := NewRoot("office")
	r2, _ := NewRoot("office")
	if len(r1.ID) != IDLen || r1.ID == r2.ID || strings.ToLower(r1.ID) != r1.ID {
		t.Fatalf("ids %q %q", r1.ID, r2.ID)
	}
	if IDOf(r1.Pub) != r1.ID {
		t.Fatal("IDOf not stable")
	}
	for _, bad := range []string{"", "  ", strings.Repeat("x", 65), "a\nb"} {
		if _, err := NewRoot(bad); err == nil {
			t.Errorf("display name %q accepted", bad)
		}
	}
}

func TestParseCert(t *testing.T) {
	t.Parallel()
	root, _ := NewRoot("office")
	other, _ := NewRoot("other")
	alice := newPeer(t)
	good := mustIssue(t, RootSigner(root.Key), body(root, "alice", alice, RoleAdmin))
	flip := func(b []byte, i int) []byte {
		c := append([]byte(nil), b...)
		c[i] ^= 1
		return c
	}
	tests := []struct {
		name    string
		raw     []byte
		rootPub ed25519.PublicKey
		wantErr string
	}{
		{"valid", good, root.Pub, ""},
		{"other workgroup's root", good, other.Pub, "workgroup"},
		{"signature flipped", flip(good, len(good)-3), root.Pub, "bad root signature"},
		{"body flipped", flip(good, 30), root.Pub, ""}, // some error
		{"signed by other root", mustIssue(t, RootSigner(other.Key), body(root, "alice", alice)), root.Pub, "bad root signature"},
		{"bad name", mustIssue(t, RootSigner(root.Key), body(root, "al ice", alice)), root.Pub, "not allowed"},
		{"unknown role", mustIssue(t, RootSigner(root.Key), body(root, "alice", alice, "king")), root.Pub, "unknown role"},
		{"empty", nil, root.Pub, "certificate"},
		{"garbage", []byte("not cbor at all"), root.Pub, "certificate"},
		{"revocation is no certificate", mustRevoke(t, RootSigner(root.Key), root.ID, alice.id), root.Pub, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCert(tc.raw, tc.rootPub)
			if tc.name == "valid" {
				if err != nil {
					t.Fatal(err)
				}
				if c.PeerID != alice.id || c.Name != "alice" || !c.HasRole(RoleAdmin) || c.IssuerID != "" || !c.ValidAt(time.Now()) {
					t.Fatalf("parsed %+v", c)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted")
			}
			if tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %q, want %q", err, tc.wantErr)
			}
		})
	}
}

func mustRevoke(t testing.TB, s Signer, wg string, p peer.ID) []byte {
	raw, err := IssueRevocation(s, wg, p, "x", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Chains, validity windows, revocation and name rules as the roster
// applies them.
func TestRosterChains(t *testing.T) {
	t.Parallel()
	root, _ := NewRoot("office")
	rs := RootSigner(root.Key)
	admin, sub, bob, carol, mallory := newPeer(t), newPeer(t), newPeer(t), newPeer(t), newPeer(t)
	adminCert := mustIssue(t, rs, body(root, "admin", admin, RoleAdmin))
	subCert := mustIssue(t, admin.signer(t), body(root, "sub", sub, RoleAdmin))
	bobByAdmin := mustIssue(t, admin.signer(t), body(root, "bob", bob))
	carolByBob := mustIssue(t, bob.signer(t), body(root, "carol", carol)) // bob is no admin
	expired := resign(t, mustIssue(t, rs, body(root, "old", mallory)), func(b *CertBody) {
		b.NotBefore, b.NotAfter = time.Now().Add(-48*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
	}, rs)
	future := resign(t, mustIssue(t, rs, body(root, "future", mallory)), func(b *CertBody) {
		b.NotBefore, b.NotAfter = time.Now().Add(time.Hour).Unix(), time.Now().Add(48*time.Hour).Unix()
	}, rs)

	t.Run("any order within a bundle", func(t *testing.T) {
		r := NewRoster(admin.id)
		r.AddWorkgroup(*root)
		added, refused := r.Merge(root.ID, Bundle{Certs: [][]byte{bobByAdmin, subCert, adminCert, carolByBob}})
		if len(added.Certs) != 3 || refused != 1 {
			t.Fatalf("added %d refused %d", len(added.Certs), refused)
		}
		if _, ok := r.Member(root.ID, bob.id); !ok {
			t.Fatal("bob (issued by an admin) is not a member")
		}
		if _, ok := r.Member(root.ID, carol.id); ok {
			t.Fatal("carol, issued by a non-admin, is a member")
		}
		if got := len(r.Workgroups()); got != 1 {
			t.Fatalf("workgroups %d", got)
		}
	})
	t.Run("issuer arriving later is refused then accepted", func(t *testing.T) {
		r := NewRoster(admin.id)
		r.AddWorkgroup(*root)
		if added, _ := r.Merge(root.ID, Bundle{Certs: [][]byte{bobByAdmin}}); len(added.Certs) != 0 {
			t.Fatal("accepted a certificate whose issuer is unknown")
		}
		r.Merge(root.ID, Bundle{Certs: [][]byte{adminCert}})
		if added, _ := r.Merge(root.ID, Bundle{Certs: [][]byte{bobByAdmin}}); len(added.Certs) != 1 {
			t.Fatal("refused a certificate of a known admin")
		}
	})
	t.Run("validity window", func(t *testing.T) {
		r := NewRoster(admin.id)
		r.AddWorkgroup(*root)
		r.Merge(root.ID, Bundle{Certs: [][]byte{expired, future}})
		if len(r.Members(root.ID)) != 0 {
			t.Fatalf("expired or not-yet-valid certificate counts: %v", r.Members(root.ID))
		}
		r.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
		r.Refresh()
		if _, ok := r.ByName(root.ID, "FUTURE"); !ok {
			t.Fatal("certificate not valid inside its window")
		}
	})
	t.Run("depth limit", func(t *testing.T) {
		r := NewRoster(admin.id)
		r.AddWorkgroup(*root)
		chain := [][]byte{adminCert}
		prev := admin
		for i := 0; i < MaxChainDepth+1; i++ {
			p := newPeer(t)
			chain = append(chain, mustIssue(t, prev.signer(t), body(root, "a"+string(rune('a'+i)), p, RoleAdmin)))
			prev = p
		}
		r.Merge(root.ID, Bundle{Certs: chain})
		if got := len(r.Members(root.ID)); got != MaxChainDepth+1 {
			t.Fatalf("%d members; want the root-signed admin and %d delegated levels", got, MaxChainDepth)
		}
	})
	t.Run("revoking an admin voids what it issued", func(t *testing.T) {
		r := NewRoster(admin.id)
		r.AddWorkgroup(*root)
		r.Merge(root.ID, Bundle{Certs: [][]byte{adminCert, subCert, bobByAdmin}})
		if added, _ := r.Merge(root.ID, Bundle{Revs: [][]byte{mustRevoke(t, bob.signer(t), root.ID, sub.id)}}); len(added.Revs) != 0 {
			t.Fatal("a non-admin's revocation was accepted")
		}
		r.Merge(root.ID, Bundle{Revs: [][]byte{mustRevoke(t, rs, root.ID, admin.id)}})
		if n := len(r.Members(root.ID)); n != 0 {
			t.Fatalf("%d members left: %s", n, memberNames(r.Members(root.ID)))
		}
		if !r.RevokedAnywhere(admin.id) || r.RevokedAnywhere(bob.id) || r.MemberAnywhere(bob.id) {
			t.Fatal("revocation state wrong")
		}
	})
	t.Run("names unique case-insensitively, older certificate wins", func(t *testing.T) {
		r := NewRoster(admin.id)
		r.AddWorkgroup(*root)
		first := resign(t, mustIssue(t, rs, body(root, "Bob", bob)), func(b *CertBody) { b.NotBefore = time.Now().Add(-time.Hour).Unix() }, rs)
		second := mustIssue(t, rs, body(root, "bob", carol))
		r.Merge(root.ID, Bundle{Certs: [][]byte{second, first}})
		m, ok := r.ByName(root.ID, "BOB")
		if !ok || m.PeerID != bob.id {
			t.Fatalf("ByName BOB = %v %v", m.PeerID, ok)
		}
	})
}

func TestSignerDomains(t *testing.T) {
	t.Parallel()
	root, _ := NewRoot("office")
	p := newPeer(t)
	rev := mustRevoke(t, RootSigner(root.Key), root.ID, p.id)
	if _, err := ParseRevocation(rev, root.Pub); err != nil {
		t.Fatal(err)
	}
	// A certificate's signed bytes never verify as a revocation.
	cert := mustIssue(t, RootSigner(root.Key), body(root, "p", p))
	if _, err := ParseRevocation(cert, root.Pub); err == nil {
		t.Fatal("certificate accepted as revocation")
	}
	other, _ := NewRoot("x")
	if _, err := ParseRevocation(rev, other.Pub); err == nil {
		t.Fatal("revocation of another workgroup accepted")
	}
}
