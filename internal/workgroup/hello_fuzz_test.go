package workgroup

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/wire"
)

// helloSeeds returns valid hello replies: a root-signed certificate, and
// a certificate with the admin certificate that issued it.
func helloSeeds(t testing.TB) (one, two, bad []byte) {
	cert, admin, sub, _, _, _, _, _, _ := fuzzSeeds(t)
	root := fuzzRoot()
	one, _ = wire.Marshal(HelloReply{Chains: []HelloChain{{Workgroup: root.ID, Items: Bundle{Certs: [][]byte{cert}}}}})
	two, _ = wire.Marshal(HelloReply{Chains: []HelloChain{{Workgroup: root.ID, Items: Bundle{Certs: [][]byte{sub, admin}}}}})
	bad, _ = wire.Marshal(HelloReply{Error: &wire.Error{Code: wire.CodeBadRequest, Message: "malformed hello"}})
	return one, two, bad
}

// FuzzHelloReply decodes a hello reply as the asking node does, checks
// its chains and merges those that pass into a roster: never a panic,
// never a member of another workgroup, never a member but the peer the
// chain is about (or the admins that issued its certificate).
func FuzzHelloReply(f *testing.F) {
	one, two, bad := helloSeeds(f)
	for _, s := range [][]byte{one, two, bad, {0xa1, 0x02, 0x80}, nil} {
		f.Add(s)
	}
	root := fuzzRoot()
	f.Fuzz(func(t *testing.T, data []byte) {
		rp, err := decodeHelloReply(data)
		if err != nil {
			return
		}
		if len(rp.Chains) > maxHelloWGs {
			t.Fatalf("accepted %d chains", len(rp.Chains))
		}
		for _, c := range rp.Chains {
			if len(c.Items.Certs) == 0 || len(c.Items.Certs) > maxHelloCerts || len(c.Items.Revs) != 0 {
				t.Fatalf("accepted a chain of %d certificates, %d revocations", len(c.Items.Certs), len(c.Items.Revs))
			}
			if c.Workgroup != root.ID {
				continue
			}
			first, err := ParseCert(c.Items.Certs[0], root.Pub)
			if err != nil || !chainOf(root.Pub, c, first.PeerID) {
				continue
			}
			r := NewRoster("self")
			r.now = func() time.Time { return time.Unix(1_750_000_100, 0) }
			r.AddWorkgroup(*root)
			r.Merge(root.ID, c.Items)
			inChain := map[peer.ID]bool{}
			for _, raw := range c.Items.Certs {
				if x, err := ParseCert(raw, root.Pub); err == nil {
					inChain[x.PeerID] = true
				}
			}
			for _, m := range r.Members(root.ID) {
				if m.Workgroup != root.ID || !inChain[m.PeerID] {
					t.Fatalf("hello admitted %+v, not in the chain", m)
				}
			}
		}
	})
}

// TestHelloChecks: decodeHelloReply and chainOf refuse what they must.
func TestHelloChecks(t *testing.T) {
	t.Parallel()
	cert, admin, sub, rev, _, _, _, _, _ := fuzzSeeds(t)
	root := fuzzRoot()
	parse := func(raw []byte) *Cert {
		c, err := ParseCert(raw, root.Pub)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	enc := func(r HelloReply) []byte { b, _ := wire.Marshal(r); return b }
	many := make([]HelloChain, maxHelloWGs+1)
	for i := range many {
		many[i] = HelloChain{Workgroup: root.ID, Items: Bundle{Certs: [][]byte{cert}}}
	}
	long := make([][]byte, maxHelloCerts+1)
	for i := range long {
		long[i] = cert
	}
	for _, tc := range []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"one", enc(HelloReply{Chains: []HelloChain{{Workgroup: root.ID, Items: Bundle{Certs: [][]byte{cert}}}}}), true},
		{"too many chains", enc(HelloReply{Chains: many}), false},
		{"chain too long", enc(HelloReply{Chains: []HelloChain{{Workgroup: root.ID, Items: Bundle{Certs: long}}}}), false},
		{"empty chain", enc(HelloReply{Chains: []HelloChain{{Workgroup: root.ID}}}), false},
		{"no workgroup", enc(HelloReply{Chains: []HelloChain{{Items: Bundle{Certs: [][]byte{cert}}}}}), false},
		{"a revocation", enc(HelloReply{Chains: []HelloChain{{Workgroup: root.ID, Items: Bundle{Certs: [][]byte{cert}, Revs: [][]byte{rev}}}}}), false},
		{"too big", make([]byte, maxHelloReply+1), false},
		{"garbage", []byte{0xff, 0x01}, false},
	} {
		if _, err := decodeHelloReply(tc.in); (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.name, err)
		}
	}
	// The seeds' peer is one key: sub (issued by the admin cert's peer,
	// which is that same peer) chains to admin, and admin to the root.
	pc, pa := parse(sub), parse(admin)
	ch := func(certs ...[]byte) HelloChain { return HelloChain{Workgroup: root.ID, Items: Bundle{Certs: certs}} }
	if !chainOf(root.Pub, ch(sub, admin), pc.PeerID) {
		t.Error("a good two-link chain was refused")
	}
	if chainOf(root.Pub, ch(cert), peer.ID("someone else")) {
		t.Error("a chain about another peer was taken")
	}
	if chainOf(root.Pub, ch(admin, sub), pa.PeerID) {
		t.Error("a chain that goes on past the root was taken")
	}
	if chainOf(root.Pub, ch(), pc.PeerID) {
		t.Error("an empty chain was taken")
	}
}

// TestWriteHelloCorpus writes FuzzHelloReply's seed corpus when
// PEERHOOD_WRITE_CORPUS is set.
func TestWriteHelloCorpus(t *testing.T) {
	t.Parallel()
	if os.Getenv("PEERHOOD_WRITE_CORPUS") == "" {
		t.Skip("set PEERHOOD_WRITE_CORPUS=1 to rewrite testdata/fuzz")
	}
	one, two, bad := helloSeeds(t)
	dir := filepath.Join("testdata", "fuzz", "FuzzHelloReply")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, b := range [][]byte{one, two, bad} {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%d", i)), []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzHelloAsk decodes a hello ask as the answering node does: never a
// panic; what passes is within bounds, and a workgroup is asked only by
// its ID in clear or by a tag made with the ask's nonce.
func FuzzHelloAsk(f *testing.F) {
	nonce := []byte("0123456789abcdef")
	tagged, _ := wire.Marshal(HelloAsk{Nonce: nonce, Tags: [][]byte{helloTag(nonce, "wgone"), helloTag(nonce, "wgtwo")}})
	legacy, _ := wire.Marshal(HelloAsk{Workgroups: []string{"wgone"}})
	for _, s := range [][]byte{tagged, legacy, {0xa0}, {0xa1, 0x03, 0x81, 0x41, 0x00}, nil} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := decodeHelloAsk(data)
		if err != nil {
			return
		}
		if len(a.Workgroups) > maxHelloWGs || len(a.Tags) > maxHelloWGs || (len(a.Tags) > 0 && len(a.Nonce) != helloTagSize) {
			t.Fatalf("accepted an ask out of bounds: %d workgroups, %d tags, nonce %d", len(a.Workgroups), len(a.Tags), len(a.Nonce))
		}
		for _, wg := range []string{"wgone", "wgtwo", ""} {
			want := slices.Contains(a.Workgroups, wg) ||
				(len(a.Tags) > 0 && slices.ContainsFunc(a.Tags, func(x []byte) bool { return bytes.Equal(x, helloTag(a.Nonce, wg)) }))
			if a.asks(wg) != want {
				t.Fatalf("asks(%q) = %v, want %v", wg, !want, want)
			}
		}
	})
}
