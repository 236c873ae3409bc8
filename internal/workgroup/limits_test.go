package workgroup

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/wire"
)

// withIssuer rewrites a signed certificate's issuer, keeping its
// signature (which no longer matches).
func withIssuer(t testing.TB, raw []byte, issuer peer.ID) []byte {
	t.Helper()
	var sg Signed
	var b CertBody
	if wire.Unmarshal(raw, &sg) != nil || wire.Unmarshal(sg.Body, &b) != nil {
		t.Fatal("certificate does not decode")
	}
	b.Issuer = []byte(issuer)
	sg.Body, _ = wire.Marshal(b)
	out, _ := wire.Marshal(sg)
	return out
}

// A push of junk is refused by the cheap checks, before any signature
// is verified, and a bundle of bad signatures is given up on after
// maxBadItems: one hostile member cannot buy seconds of CPU (with the
// roster locked) per roster frame.
func TestRosterPushCheapChecks(t *testing.T) {
	t.Parallel()
	root, _ := NewRoot("office")
	rs := RootSigner(root.Key)
	admin, bob, mallory := newPeer(t), newPeer(t), newPeer(t)
	adminCert := mustIssue(t, rs, body(root, "admin", admin, RoleAdmin))
	malloryCert := mustIssue(t, rs, body(root, "mallory", mallory))
	bobCert := mustIssue(t, admin.signer(t), body(root, "bob", bob))
	// Certificates "issued" by mallory, who is no admin.
	junk := make([][]byte, 200)
	for i := range junk {
		junk[i] = mustIssue(t, mallory.signer(t), body(root, "junk", newPeer(t)))
	}
	// Certificates that name a real admin as issuer but carry a bad signature.
	forged := make([][]byte, maxBadItems)
	for i := range forged {
		// Signed by mallory all the same.
		forged[i] = withIssuer(t, mustIssue(t, mallory.signer(t), body(root, "forged", newPeer(t))), admin.id)
	}
	newRoster := func() *Roster {
		r := NewRoster(admin.id)
		r.AddWorkgroup(*root)
		if added, _ := r.Merge(root.ID, Bundle{Certs: [][]byte{adminCert, malloryCert}}); len(added.Certs) != 2 {
			t.Fatal("setup: roster refused its admin and mallory")
		}
		return r
	}

	t.Run("precheck drops unknown issuers, duplicates and oversized items", func(t *testing.T) {
		r := newRoster()
		w := r.wgs[root.ID]
		huge := make([]byte, maxItem+1)
		in := Bundle{Certs: append(append([][]byte{adminCert, huge, bobCert}, junk...), []byte{0xff})}
		out, refused := w.precheck(in)
		if len(out.Certs) != 1 || string(out.Certs[0]) != string(bobCert) {
			t.Fatalf("precheck kept %d items, want only bob's", len(out.Certs))
		}
		if want := len(junk) + 2; refused != want {
			t.Fatalf("precheck refused %d, want %d (junk, oversized, undecodable; the duplicate is no refusal)", refused, want)
		}
	})
	t.Run("an admin certificate in the same bundle vouches for its issues", func(t *testing.T) {
		r := NewRoster(admin.id)
		r.AddWorkgroup(*root)
		out, refused := r.wgs[root.ID].precheck(Bundle{Certs: [][]byte{bobCert, adminCert}})
		if len(out.Certs) != 2 || refused != 0 {
			t.Fatalf("kept %d refused %d", len(out.Certs), refused)
		}
	})
	t.Run("a bundle is given up on after maxBadItems bad signatures", func(t *testing.T) {
		r := newRoster()
		// bob's good certificate comes after the forged ones: a bundle
		// with that many bad signatures is not read to its end.
		added, refused := r.Merge(root.ID, Bundle{Certs: append(append([][]byte{}, forged...), bobCert)})
		if len(added.Certs) != 0 || refused != maxBadItems+1 {
			t.Fatalf("added %d refused %d", len(added.Certs), refused)
		}
		// Fewer bad items than the limit: the good one still counts.
		added, _ = r.Merge(root.ID, Bundle{Certs: append(append([][]byte{}, forged[:maxBadItems-1]...), bobCert)})
		if len(added.Certs) != 1 {
			t.Fatalf("added %d, want bob's certificate", len(added.Certs))
		}
	})
	t.Run("too many items", func(t *testing.T) {
		r := newRoster()
		many := make([][]byte, MaxRosterItems+5)
		for i := range many {
			many[i] = junk[i%len(junk)]
		}
		_, refused := r.wgs[root.ID].precheck(Bundle{Certs: many})
		if refused != len(many) {
			t.Fatalf("refused %d of %d", refused, len(many))
		}
	})
}

// TestWriteLimitsCorpus adds FuzzRosterSync seeds that reach the cheap
// checks and the bad-signature cut-off, when PEERHOOD_WRITE_CORPUS is set.
func TestWriteLimitsCorpus(t *testing.T) {
	t.Parallel()
	if os.Getenv("PEERHOOD_WRITE_CORPUS") == "" {
		t.Skip("set PEERHOOD_WRITE_CORPUS=1 to rewrite testdata/fuzz")
	}
	cert, admin, sub, _, _, _, _, _, _ := fuzzSeeds(t)
	forge := func(raw []byte, issuer []byte) []byte {
		var sg Signed
		var b CertBody
		if wire.Unmarshal(raw, &sg) != nil || wire.Unmarshal(sg.Body, &b) != nil {
			t.Fatal("seed does not decode")
		}
		b.Issuer = issuer
		b.Serial = append([]byte(nil), b.Serial...)
		b.Serial[0]++
		sg.Body, _ = wire.Marshal(b)
		out, _ := wire.Marshal(sg)
		return out
	}
	var sb Signed
	var ab CertBody
	_ = wire.Unmarshal(admin, &sb)
	_ = wire.Unmarshal(sb.Body, &ab)
	forged := [][]byte{}
	for range maxBadItems + 1 {
		forged = append(forged, forge(sub, ab.Peer))
		sub = forged[len(forged)-1]
	}
	seeds := []Bundle{
		{Certs: append(append([][]byte{admin}, forged...), cert)},
		{Certs: [][]byte{forge(cert, []byte("not a peer")), admin, admin}},
		{Certs: [][]byte{sub, admin}},
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzRosterSync")
	for i, b := range seeds {
		raw, err := wire.Marshal(SyncPush{Items: b})
		if err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", raw)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("limits%d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkJunkPush merges a 7 MiB push of certificates with random
// signatures (half naming a real admin as issuer): "verify each" is what
// a merge cost before the cheap checks (every signature checked), "merge"
// what it costs now.
func BenchmarkJunkPush(b *testing.B) {
	root, _ := NewRoot("office")
	admin, mallory := newPeer(b), newPeer(b)
	adminCert := mustIssue(b, RootSigner(root.Key), body(root, "admin", admin, RoleAdmin))
	template := mustIssue(b, mallory.signer(b), body(root, "junk", mallory))
	var sg Signed
	var cb CertBody
	_ = wire.Unmarshal(template, &sg)
	_ = wire.Unmarshal(sg.Body, &cb)
	var junk Bundle
	for size := 0; size < 7<<20; {
		p := newPeer(b)
		cb.Peer, cb.Issuer = []byte(p.id), []byte(p.id)
		if len(junk.Certs)%2 == 0 {
			cb.Issuer = []byte(admin.id)
		}
		sg.Body, _ = wire.Marshal(cb)
		raw, _ := wire.Marshal(sg)
		junk.Certs = append(junk.Certs, raw)
		size += len(raw)
	}
	b.Logf("%d junk certificates", len(junk.Certs))
	b.Run("verify each", func(b *testing.B) {
		for range b.N {
			for _, raw := range junk.Certs {
				_, _ = ParseCert(raw, root.Pub)
			}
		}
	})
	b.Run("merge", func(b *testing.B) {
		r := NewRoster(admin.id)
		r.AddWorkgroup(*root)
		r.Merge(root.ID, Bundle{Certs: [][]byte{adminCert}})
		for range b.N {
			r.Merge(root.ID, junk)
		}
	})
}
