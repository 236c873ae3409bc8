package identity

import (
	"crypto/ed25519"
	"fmt"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// BenchmarkVerify compares, in one run, crypto/ed25519 (what libp2p's
// PubKey.Verify calls) with the paths of this package on a chat-sized
// message (go test -run ^$ -bench Verify ./internal/identity/).
func BenchmarkVerify(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 300)
	sig := ed25519.Sign(priv, msg)
	lpub, _ := crypto.UnmarshalEd25519PublicKey(pub)
	id, _ := peer.IDFromPublicKey(lpub)
	run := func(name string, f func() bool) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !f() {
					b.Fatal("refused")
				}
			}
		})
	}
	run("stdlib", func() bool { return ed25519.Verify(pub, msg, sig) })
	run("libp2p-extract+verify", func() bool {
		k, err := id.ExtractPublicKey()
		if err != nil {
			return false
		}
		ok, err := k.Verify(msg, sig)
		return ok && err == nil
	})
	run("voi-uncached", func() bool { return voi.VerifyWithOptions(voi.PublicKey(pub), msg, sig, verifyOpts) })
	run("VerifyEd25519", func() bool { return VerifyEd25519(pub, msg, sig) })
	run("VerifyPeer", func() bool { ok, err := VerifyPeer(id, msg, sig); return ok && err == nil })
	b.Run("expand", func(b *testing.B) {
		for b.Loop() {
			if _, err := voi.NewExpandedPublicKey(voi.PublicKey(pub)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSign compares crypto/ed25519's signing (what libp2p's
// PrivKey.Sign calls) with curve25519-voi's.
func BenchmarkSign(b *testing.B) {
	_, priv, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 300)
	b.Run("stdlib", func(b *testing.B) {
		for b.Loop() {
			ed25519.Sign(priv, msg)
		}
	})
	b.Run("voi", func(b *testing.B) {
		for b.Loop() {
			voi.Sign(voi.PrivateKey(priv), msg)
		}
	})
}

// BenchmarkVerifyBatch measures what batch verification saves a
// receiver: curve25519-voi's batch verifier over n signatures of 19
// authors (a 20-member room), against one VerifyPeer-style check each, in
// one run. Batches need the cofactored equation (ZIP-215 rules: Batch,
// what chat messages are checked with), which accepts a superset of what
// crypto/ed25519 accepts (go test -run ^$ -bench VerifyBatch
// ./internal/identity/).
func BenchmarkVerifyBatch(b *testing.B) {
	const authors = 19
	var (
		keys [authors]*voi.ExpandedPublicKey
		sigs [authors][]byte
	)
	msg := make([]byte, 300)
	for i := range authors {
		pub, priv, _ := ed25519.GenerateKey(nil)
		k, err := voi.NewExpandedPublicKey(voi.PublicKey(pub))
		if err != nil {
			b.Fatal(err)
		}
		keys[i], sigs[i] = k, ed25519.Sign(priv, msg)
	}
	b.Run("single", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if !voi.VerifyExpandedWithOptions(keys[i%authors], msg, sigs[i%authors], verifyOpts) {
				b.Fatal("refused")
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e3, "us/sig")
	})
	zip215 := &voi.Options{Verify: voi.VerifyOptionsZIP_215}
	for _, n := range []int{2, 4, 8, 16} {
		b.Run(fmt.Sprint("batch", n), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				v := voi.NewBatchVerifier()
				for j := range n {
					k := (i + j) % authors
					v.AddExpandedWithOptions(keys[k], msg, sigs[k], zip215)
				}
				if !v.VerifyBatchOnly(nil) {
					b.Fatal("batch refused")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1e3, "us/sig")
		})
	}
}
