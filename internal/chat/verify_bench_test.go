package chat

import (
	"crypto/rand"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/identity"
)

// BenchmarkMessageVerify compares, in one run, the signature check of a
// received room message before session 8 (libp2p's PubKey.Verify, that
// is crypto/ed25519, on a cached key) with verify (identity.VerifyPeer);
// and the sender's signing, libp2p's key.Sign against identity.Sign
// (which sign calls).
// go test -run '^$' -bench MessageVerify ./internal/chat/
func BenchmarkMessageVerify(b *testing.B) {
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	a, _ := peer.IDFromPrivateKey(k)
	bd := body{V: version, Workgroup: "wg1", Room: "bench", Author: []byte(a), Seq: 1, HLC: 1, Kind: KindText, Text: strings.Repeat("x", 100)}
	m, err := sign(k, bd)
	if err != nil {
		b.Fatal(err)
	}
	_, s, err := parse(m.raw)
	if err != nil {
		b.Fatal(err)
	}
	pub := k.GetPublic()
	signedBytes := append([]byte(signDomain), s.Body...)
	b.Run("verify/libp2p-stdlib", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := pub.Verify(append([]byte(signDomain), s.Body...), s.Sig); !ok || err != nil {
				b.Fatal("refused")
			}
		}
	})
	b.Run("verify/identity-voi", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := m.verify(s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sign/libp2p-stdlib", func(b *testing.B) {
		for b.Loop() {
			if _, err := k.Sign(signedBytes); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sign/identity-voi", func(b *testing.B) {
		for b.Loop() {
			if _, err := identity.Sign(k, signedBytes); err != nil {
				b.Fatal(err)
			}
		}
	})
}
