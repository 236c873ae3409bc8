package identity

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// agree checks every path of this package against crypto/ed25519's
// verdict on one (key, message, signature) and returns that verdict.
func agree(t testing.TB, pub, msg, sig []byte) bool {
	t.Helper()
	if len(pub) != ed25519.PublicKeySize { // crypto/ed25519 panics; refused here
		if VerifyEd25519(pub, msg, sig) {
			t.Fatalf("key of %d bytes accepted", len(pub))
		}
		return false
	}
	want := ed25519.Verify(pub, msg, sig)
	for i := range 2 { // cold, then with the key expanded and cached when it verified
		if got := VerifyEd25519(pub, msg, sig); got != want {
			t.Fatalf("VerifyEd25519 (call %d) = %v, crypto/ed25519 = %v (key %x sig %x msg %x)", i, got, want, pub, sig, msg)
		}
	}
	if got := voi.VerifyWithOptions(voi.PublicKey(pub), msg, sig, verifyOpts); got != want {
		t.Fatalf("voi unexpanded = %v, crypto/ed25519 = %v", got, want)
	}
	id := peer.ID(ed25519IDPrefix + string(pub))
	got, err := VerifyPeer(id, msg, sig)
	if got != want || err != nil {
		t.Fatalf("VerifyPeer = %v, %v; crypto/ed25519 = %v", got, err, want)
	}
	lk, err := id.ExtractPublicKey() // what libp2p's own path says
	if err != nil {
		t.Fatal(err)
	}
	if lok, _ := lk.Verify(msg, sig); lok != want {
		t.Fatalf("libp2p = %v, crypto/ed25519 = %v", lok, want)
	}
	if got, err := VerifyKey(lk, msg, sig); got != want || err != nil {
		t.Fatalf("VerifyKey = %v, %v; crypto/ed25519 = %v", got, err, want)
	}
	return want
}

// The options are voi's preset for crypto/ed25519's rules, with the
// fields that make them so (a changed preset fails here).
func TestVerifyOptionsAreStdlib(t *testing.T) {
	want := voi.VerifyOptions{AllowSmallOrderA: true, AllowSmallOrderR: true, AllowNonCanonicalA: true, CofactorlessVerify: true}
	if verifyOpts.Verify == nil || *verifyOpts.Verify != want || verifyOpts.Hash != 0 || verifyOpts.Context != "" {
		t.Fatalf("verify options %+v, want %+v", verifyOpts.Verify, want)
	}
}

// Hand-built edge cases (non-canonical S, S >= L, small-order and
// non-canonical keys and R, mixed-order keys, high bits, wrong lengths):
// crypto/ed25519 gives the verdict the case names, and every path here
// gives the same.
func TestVerifyEdgeCasesAgreeWithStdlib(t *testing.T) {
	t.Parallel()
	cases := edgeCases(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.pub) == ed25519.PublicKeySize {
				if got := ed25519.Verify(tc.pub, tc.msg, tc.sig); got != tc.want {
					t.Fatalf("crypto/ed25519 says %v, the case expects %v", got, tc.want)
				}
			}
			agree(t, tc.pub, tc.msg, tc.sig)
		})
	}
	// The cases tell the rules apart: voi's default (cofactored, refusing
	// small-order keys) disagrees with crypto/ed25519 on some of them.
	differ := 0
	for _, tc := range cases {
		if len(tc.pub) == ed25519.PublicKeySize && voi.Verify(tc.pub, tc.msg, tc.sig) != tc.want {
			differ++
		}
	}
	if differ == 0 {
		t.Fatal("no case separates voi's default rules from crypto/ed25519's")
	}
}

// Random keys, messages and signatures, and signatures with one byte
// changed anywhere, get the same verdicts.
func TestVerifyRandomAgreesWithStdlib(t *testing.T) {
	t.Parallel()
	for i := range 64 {
		pub, priv, _ := ed25519.GenerateKey(nil)
		msg := bytes.Repeat([]byte{byte(i)}, i*7)
		sig := ed25519.Sign(priv, msg)
		if !agree(t, pub, msg, sig) {
			t.Fatal("a good signature refused")
		}
		buf := append(append(append([]byte(nil), pub...), sig...), msg...)
		buf[i*13%len(buf)] ^= byte(1 << (i % 8))
		if agree(t, buf[:32], buf[96:], buf[32:96]) {
			t.Fatalf("changed byte %d accepted", i*13%len(buf))
		}
	}
}

// An expanded key is cached only once a signature of it verified; a bad
// signature under a cached key is still refused; the cache stays
// bounded.
func TestExpandedKeyCache(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := []byte("hello")
	sig := ed25519.Sign(priv, msg)
	bad := append([]byte(nil), sig...)
	bad[5] ^= 1
	if VerifyEd25519(pub, msg, bad) {
		t.Fatal("bad signature accepted")
	}
	if expandedKeys.get([32]byte(pub)) != nil {
		t.Fatal("key cached after a bad signature")
	}
	if !VerifyEd25519(pub, msg, sig) || expandedKeys.get([32]byte(pub)) == nil {
		t.Fatal("good signature refused, or key not cached")
	}
	if VerifyEd25519(pub, msg, bad) || VerifyEd25519(pub, []byte("hellp"), sig) {
		t.Fatal("bad signature or other message accepted with the key cached")
	}
	x := expandedKeys.get([32]byte(pub))
	for i := range maxExpandedKeys + 10 {
		var k [32]byte
		k[0], k[1], k[2] = byte(i), byte(i>>8), 0xaa
		expandedKeys.put(k, x)
	}
	if n := expandedKeys.len(); n > maxExpandedKeys {
		t.Fatalf("cache holds %d keys, more than %d", n, maxExpandedKeys)
	}
	expandedKeys.mu.Lock()
	clear(expandedKeys.m) // the keys put above are not their own expansions
	expandedKeys.mu.Unlock()
}

// Non-Ed25519 peer IDs and peer IDs without a key take libp2p's path.
func TestVerifyPeerOtherKeys(t *testing.T) {
	priv, pub, err := crypto.GenerateSecp256k1Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := peer.IDFromPublicKey(pub)
	msg := []byte("m")
	sig, err := Sign(priv, msg)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := VerifyPeer(id, msg, sig); !ok || err != nil {
		t.Fatalf("secp256k1: %v %v", ok, err)
	}
	if ok, _ := VerifyPeer(id, []byte("n"), sig); ok {
		t.Fatal("secp256k1: other message accepted")
	}
	if ok, err := VerifyPeer(peer.ID("\x12\x20"+string(make([]byte, 32))), msg, sig); ok || err == nil {
		t.Fatalf("a sha256 peer ID (no key): %v %v", ok, err)
	}
}

// Sign makes the very signatures crypto/ed25519 (and libp2p) make.
func TestSignMatchesStdlib(t *testing.T) {
	t.Parallel()
	for i := range 64 {
		lpriv, _, err := crypto.GenerateEd25519Key(nil)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := lpriv.Raw()
		msg := bytes.Repeat([]byte{byte(i)}, i*i)
		got, err := Sign(lpriv, msg)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := lpriv.Sign(msg)
		if !bytes.Equal(got, want) || !bytes.Equal(got, ed25519.Sign(ed25519.PrivateKey(raw), msg)) {
			t.Fatalf("message of %d bytes: voi %x, crypto/ed25519 %x", len(msg), got, want)
		}
	}
}

// FuzzVerifyAgreesWithStdlib: for any key, message and signature, or a
// signature made from a seed then changed at one place, every path here
// gives crypto/ed25519's verdict; signatures made from a seed are equal
// to crypto/ed25519's.
func FuzzVerifyAgreesWithStdlib(f *testing.F) {
	for _, tc := range edgeCases(f) {
		f.Add(tc.pub, tc.msg, tc.sig, false, uint16(0), byte(0))
	}
	f.Add(make([]byte, 32), []byte("m"), []byte(nil), true, uint16(0), byte(0))
	f.Add(make([]byte, 32), []byte("m"), []byte(nil), true, uint16(40), byte(1))
	f.Fuzz(func(t *testing.T, key, msg, sig []byte, signIt bool, at uint16, flip byte) {
		pub := key
		if signIt && len(key) == ed25519.SeedSize {
			priv := ed25519.NewKeyFromSeed(key)
			pub = priv.Public().(ed25519.PublicKey)
			sig = ed25519.Sign(priv, msg)
			if got := voi.Sign(voi.PrivateKey(priv), msg); !bytes.Equal(got, sig) {
				t.Fatalf("voi signature %x, crypto/ed25519 %x", got, sig)
			}
		}
		buf := append(append(append([]byte(nil), pub...), sig...), msg...)
		if len(buf) > 0 {
			buf[int(at)%len(buf)] ^= flip
		}
		agree(t, buf[:len(pub)], buf[len(pub)+len(sig):], buf[len(pub):len(pub)+len(sig)])
	})
}

// FuzzVerifyPeerAgreesWithLibp2p: for any peer ID bytes, VerifyPeer's
// verdict (and whether it errs) is libp2p's ExtractPublicKey then Verify;
// seeds: the usual Ed25519 form, the same key in a reordered protobuf, a
// secp256k1 ID and a hash ID.
func FuzzVerifyPeerAgreesWithLibp2p(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := []byte("m")
	sig := ed25519.Sign(priv, msg)
	f.Add([]byte(ed25519IDPrefix+string(pub)), msg, sig)
	f.Add(append([]byte("\x00\x24\x12\x20"), append(append([]byte(nil), pub...), 0x08, 0x01)...), msg, sig)
	_, spub, _ := crypto.GenerateSecp256k1Key(nil)
	sid, _ := peer.IDFromPublicKey(spub)
	f.Add([]byte(sid), msg, sig)
	f.Add([]byte("\x12\x20"+string(pub)), msg, sig)
	f.Fuzz(func(t *testing.T, id, msg, sig []byte) {
		got, gerr := VerifyPeer(peer.ID(id), msg, sig)
		want, werr := false, error(nil)
		if k, err := peer.ID(id).ExtractPublicKey(); err != nil {
			werr = err
		} else {
			want, werr = k.Verify(msg, sig)
		}
		if got != want || (gerr != nil) != (werr != nil) {
			t.Fatalf("VerifyPeer = %v, %v; libp2p = %v, %v", got, gerr, want, werr)
		}
	})
}

// Verifications share the cached expanded keys from several goroutines
// (chat's catch-up verifies on every core): run under -race.
func TestVerifyConcurrent(t *testing.T) {
	t.Parallel()
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := []byte("concurrent")
	sig := ed25519.Sign(priv, msg)
	done := make(chan bool)
	for range 4 {
		go func() {
			ok := true
			for range 20 {
				ok = ok && VerifyEd25519(pub, msg, sig) && !VerifyEd25519(pub, msg[1:], sig)
			}
			done <- ok
		}()
	}
	for range 4 {
		if !<-done {
			t.Fatal("a verdict changed under concurrency")
		}
	}
}
