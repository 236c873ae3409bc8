package identity

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// zip215Agree checks the ZIP-215 paths on one (key, message, signature):
// VerifyPeerZIP215, voi's unexpanded check and the entry's verdict in a
// Batch among honest signatures all agree; whatever crypto/ed25519
// accepts they accept too (ZIP-215 accepts a superset). It returns the
// verdict.
func zip215Agree(t testing.TB, honest []batchCase, pub, msg, sig []byte) bool {
	t.Helper()
	if len(pub) != ed25519.PublicKeySize {
		t.Fatalf("key of %d bytes", len(pub))
	}
	id := peer.ID(ed25519IDPrefix + string(pub))
	want := voi.VerifyWithOptions(voi.PublicKey(pub), msg, sig, zip215Opts)
	got, err := VerifyPeerZIP215(id, msg, sig)
	if err != nil {
		if _, xerr := voi.NewExpandedPublicKey(pub); xerr == nil {
			t.Fatalf("VerifyPeerZIP215: %v for a key that is a point", err)
		}
		got = false
	}
	if got != want {
		t.Fatalf("VerifyPeerZIP215 = %v, voi ZIP-215 = %v (key %x sig %x msg %x)", got, want, pub, sig, msg)
	}
	if ed25519.Verify(pub, msg, sig) && !want {
		t.Fatalf("crypto/ed25519 accepts what ZIP-215 refuses (key %x sig %x msg %x)", pub, sig, msg)
	}
	for at := range len(honest) + 1 { // the case at every place of the batch
		var b Batch
		for i, h := range honest {
			if i == at {
				b.Add(id, msg, sig)
			}
			b.Add(h.id, h.msg, h.sig)
		}
		if at == len(honest) {
			b.Add(id, msg, sig)
		}
		ok, errs := b.Verify()
		for i := range ok {
			if i == at {
				if ok[i] != want || (errs[i] != nil) != (err != nil) {
					t.Fatalf("batch says %v, %v at %d; single %v, %v", ok[i], errs[i], i, want, err)
				}
				continue
			}
			if !ok[i] || errs[i] != nil {
				t.Fatalf("an honest signature refused in the batch at %d: %v", i, errs[i])
			}
		}
		if b.Len() != 0 {
			t.Fatal("the batch is not empty after Verify")
		}
	}
	return want
}

type batchCase struct {
	id       peer.ID
	msg, sig []byte
}

func honestBatch(t testing.TB, n int) []batchCase {
	t.Helper()
	var out []batchCase
	for i := range n {
		pub, priv, _ := ed25519.GenerateKey(nil)
		msg := bytes.Repeat([]byte{byte(i)}, 40+i)
		out = append(out, batchCase{peer.ID(ed25519IDPrefix + string(pub)), msg, ed25519.Sign(priv, msg)})
	}
	return out
}

// The hand-built edge cases get the same verdict alone and in a batch,
// anywhere in it; ZIP-215 accepts all crypto/ed25519 accepts, and the
// cases show where it accepts more (so these tests tell the rules apart).
func TestBatchEdgeCasesAgreeWithSingle(t *testing.T) {
	t.Parallel()
	honest := honestBatch(t, 3)
	more := 0
	for _, tc := range edgeCases(t) {
		if len(tc.pub) != ed25519.PublicKeySize {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			if zip215Agree(t, honest, tc.pub, tc.msg, tc.sig) && !tc.want {
				more++
			}
		})
	}
	if more == 0 {
		t.Fatal("no case that ZIP-215 accepts and crypto/ed25519 refuses")
	}
}

// Among 32 honest signatures, each bad one (a changed byte of its
// signature or message, another signer's key) is found, and only it.
func TestBatchFindsTheBadOnes(t *testing.T) {
	t.Parallel()
	cases := honestBatch(t, 32)
	for _, bad := range [][]int{{0}, {31}, {5, 17}, {}} {
		var b Batch
		isBad := map[int]bool{}
		for i, c := range cases {
			msg, sig, id := c.msg, c.sig, c.id
			for j, k := range bad {
				if k != i {
					continue
				}
				isBad[i] = true
				switch j % 3 {
				case 0:
					sig = bytes.Clone(sig)
					sig[i%64] ^= 1
				case 1:
					msg = append(bytes.Clone(msg), 'x')
				}
			}
			b.Add(id, msg, sig)
		}
		ok, errs := b.Verify()
		for i := range cases {
			if ok[i] == isBad[i] || errs[i] != nil {
				t.Fatalf("bad %v: entry %d verdict %v (%v)", bad, i, ok[i], errs[i])
			}
		}
	}
	var b Batch // another signer's key
	b.Add(cases[1].id, cases[0].msg, cases[0].sig)
	if ok, _ := b.Verify(); ok[0] {
		t.Fatal("a signature verified under another member's key")
	}
}

// A key of another kind is checked by libp2p, in a batch or not; an ID
// embedding no key is an error.
func TestBatchOtherKeys(t *testing.T) {
	t.Parallel()
	priv, pub, err := crypto.GenerateSecp256k1Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	sid, _ := peer.IDFromPublicKey(pub)
	msg := []byte("m")
	sig, _ := priv.Sign(msg)
	honest := honestBatch(t, 2)
	var b Batch
	b.Add(honest[0].id, honest[0].msg, honest[0].sig)
	b.Add(sid, msg, sig)
	b.Add(sid, []byte("n"), sig)
	b.Add(peer.ID("\x12\x20"+string(make([]byte, 32))), msg, sig) // a hash ID: no key
	b.Add(honest[1].id, honest[1].msg, honest[1].sig)
	ok, errs := b.Verify()
	want := []bool{true, true, false, false, true}
	for i := range want {
		if ok[i] != want[i] || (errs[i] != nil) != (i == 3) {
			t.Fatalf("entry %d: %v, %v; want %v", i, ok[i], errs[i], want[i])
		}
	}
	if got, err := VerifyPeerZIP215(sid, msg, sig); !got || err != nil {
		t.Fatalf("VerifyPeerZIP215 of a secp256k1 signature: %v, %v", got, err)
	}
}

// FuzzBatchAgreesWithSingle: for any key, message and signature, or a
// signature made from a seed then changed at one place, a batch gives the
// entry the single ZIP-215 verdict wherever it stands among honest
// signatures, and accepts all crypto/ed25519 accepts.
func FuzzBatchAgreesWithSingle(f *testing.F) {
	for _, tc := range edgeCases(f) {
		if len(tc.pub) == ed25519.PublicKeySize {
			f.Add(tc.pub, tc.msg, tc.sig, false, uint16(0), byte(0))
		}
	}
	f.Add(make([]byte, 32), []byte("m"), []byte(nil), true, uint16(0), byte(0))
	f.Add(make([]byte, 32), []byte("m"), []byte(nil), true, uint16(40), byte(1))
	honest := honestBatch(f, 2)
	f.Fuzz(func(t *testing.T, key, msg, sig []byte, signIt bool, at uint16, flip byte) {
		pub := key
		if signIt && len(key) == ed25519.SeedSize {
			priv := ed25519.NewKeyFromSeed(key)
			pub = priv.Public().(ed25519.PublicKey)
			sig = ed25519.Sign(priv, msg)
		}
		if len(pub) != ed25519.PublicKeySize {
			return
		}
		buf := append(append(append([]byte(nil), pub...), sig...), msg...)
		buf[int(at)%len(buf)] ^= flip
		zip215Agree(t, honest, buf[:32], buf[32+len(sig):], buf[32:32+len(sig)])
	})
}
