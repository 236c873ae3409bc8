package identity

import (
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"math/big"
	"testing"

	"github.com/oasisprotocol/curve25519-voi/curve"
	"github.com/oasisprotocol/curve25519-voi/curve/scalar"
)

// A hand-built verification case: want is crypto/ed25519's verdict,
// which the test checks first (so each case is what its name says).
type verifyCase struct {
	name          string
	pub, msg, sig []byte
	want          bool
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Encodings of small-order points, canonical and not (y >= p, or x = 0
// with the sign bit set).
var smallOrder = []struct{ name, enc string }{
	{"identity", "0100000000000000000000000000000000000000000000000000000000000000"},
	{"order 2 (y = -1)", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
	{"order 4 (y = 0)", "0000000000000000000000000000000000000000000000000000000000000000"},
	{"order 4 (y = 0, sign bit)", "0000000000000000000000000000000000000000000000000000000000000080"},
	{"order 8", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"},
	{"order 8, other", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"},
	{"non-canonical identity (x = 0, sign bit)", "0100000000000000000000000000000000000000000000000000000000000080"},
	{"non-canonical identity (y = p + 1)", "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
	{"non-canonical order 4 (y = p)", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
	{"non-canonical order 2 (y = -1, sign bit)", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
}

var order = func() *big.Int { // L = 2^252 + 27742317777372353535851937790883648493
	l, _ := new(big.Int).SetString("27742317777372353535851937790883648493", 10)
	return l.Add(l, new(big.Int).Lsh(big.NewInt(1), 252))
}()

// le256 and fromLE convert 32-byte little-endian integers.
func fromLE(b []byte) *big.Int {
	r := make([]byte, len(b))
	for i := range b {
		r[len(b)-1-i] = b[i]
	}
	return new(big.Int).SetBytes(r)
}

func le256(x *big.Int) []byte {
	out := make([]byte, 32)
	be := x.FillBytes(make([]byte, 32))
	for i := range be {
		out[31-i] = be[i]
	}
	return out
}

func hram(R, A, msg []byte) *scalar.Scalar {
	h := sha512.New()
	h.Write(R)
	h.Write(A)
	h.Write(msg)
	k, err := scalar.NewFromBytesModOrderWide(h.Sum(nil))
	if err != nil {
		panic(err)
	}
	return k
}

func enc(p *curve.EdwardsPoint) []byte {
	var c curve.CompressedEdwardsY
	c.SetEdwardsPoint(p)
	return append([]byte(nil), c[:]...)
}

func point(t testing.TB, b []byte) *curve.EdwardsPoint {
	t.Helper()
	var c curve.CompressedEdwardsY
	var p curve.EdwardsPoint
	if _, err := c.SetBytes(b); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SetCompressedY(&c); err != nil {
		t.Fatalf("%x: %v", b, err)
	}
	return &p
}

// signScalar signs msg with secret scalar a for the public encoding A
// (which need not be a*B: a mixed-order key signs as its prime-order part).
func signScalar(a *scalar.Scalar, A, msg []byte, r *scalar.Scalar) []byte {
	var R curve.EdwardsPoint
	R.MulBasepoint(curve.ED25519_BASEPOINT_TABLE, r)
	Renc := enc(&R)
	var S scalar.Scalar
	S.Mul(hram(Renc, A, msg), a)
	S.Add(&S, r)
	sig := append([]byte(nil), Renc...)
	s := make([]byte, 32)
	if err := S.ToBytes(s); err != nil {
		panic(err)
	}
	return append(sig, s...)
}

// searchMsg returns the first message "m<i>" for which crypto/ed25519's
// verdict on (pub, msg, sig(msg)) is want.
func searchMsg(t testing.TB, pub []byte, sig func(msg []byte) []byte, want bool) ([]byte, []byte) {
	t.Helper()
	for i := range 256 {
		m := fmt.Appendf(nil, "m%d", i)
		s := sig(m)
		if ed25519.Verify(pub, m, s) == want {
			return m, s
		}
	}
	t.Fatalf("no message gives verdict %v for key %x", want, pub)
	return nil, nil
}

// edgeCases builds the hand-made cases.
func edgeCases(t testing.TB) []verifyCase {
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := []byte("peerhood edge case")
	sig := ed25519.Sign(priv, msg)
	with := func(f func(s []byte)) []byte { s := append([]byte(nil), sig...); f(s); return s }
	cases := []verifyCase{
		{"valid", pub, msg, sig, true},
		{"other message", pub, []byte("peerhood edge casf"), sig, false},
		{"S + L (non-canonical S)", pub, msg, with(func(s []byte) {
			copy(s[32:], le256(new(big.Int).Add(fromLE(s[32:]), order)))
		}), false},
		{"S = L", pub, msg, with(func(s []byte) { copy(s[32:], le256(order)) }), false},
		{"S = L - 1 (largest canonical S, wrong)", pub, msg, with(func(s []byte) {
			copy(s[32:], le256(new(big.Int).Sub(order, big.NewInt(1))))
		}), false},
		{"S with the high bit set", pub, msg, with(func(s []byte) { s[63] |= 0x80 }), false},
		{"S with bit 253 set", pub, msg, with(func(s []byte) { s[63] |= 0x20 }), false},
		{"R with the sign bit flipped", pub, msg, with(func(s []byte) { s[31] ^= 0x80 }), false},
		{"signature of 63 bytes", pub, msg, sig[:63], false},
		{"signature of 65 bytes", pub, msg, append(append([]byte(nil), sig...), 0), false},
		{"empty signature", pub, msg, nil, false},
		{"public key of 31 bytes", pub[:31], msg, sig, false},
		{"public key of 33 bytes", append(append([]byte(nil), pub...), 0), msg, sig, false},
		{"empty public key", nil, msg, sig, false},
		{"identity R, zero S, ordinary key", pub, msg, make([]byte, 64), false},
	}
	cases = append(cases, smallOrderCases(t)...)
	cases = append(cases, mixedOrderCases(t)...)
	return cases
}

// smallOrderCases: small-order public keys (canonical or not), with S = 0
// and R the identity or of order 8; crypto/ed25519 accepts those where
// [k]A is R's negation, and refuses non-canonical encodings of R.
func smallOrderCases(t testing.TB) []verifyCase {
	identity := unhex(t, smallOrder[0].enc)
	zeroS := func(R []byte) func([]byte) []byte {
		return func([]byte) []byte { return append(append([]byte(nil), R...), make([]byte, 32)...) }
	}
	var cases []verifyCase
	for _, so := range smallOrder {
		A := unhex(t, so.enc)
		m, s := searchMsg(t, A, zeroS(identity), true)
		cases = append(cases, verifyCase{"small-order A: " + so.name + ", R identity, S 0", A, m, s, true})
	}
	// R non-canonical: the identity under other encodings is refused
	// (crypto/ed25519 compares R's bytes with the canonical encoding).
	for _, so := range smallOrder[6:8] {
		m, s := searchMsg(t, identity, zeroS(unhex(t, so.enc)), false)
		cases = append(cases, verifyCase{"identity A, R " + so.name + ", S 0", identity, m, s, false})
	}
	// R of order 8, A of order 8: -[k]A = R for one k in 8.
	A8 := unhex(t, smallOrder[4].enc)
	for i, so := range smallOrder[4:6] {
		R := unhex(t, so.enc)
		m, s := searchMsg(t, A8, zeroS(R), true)
		cases = append(cases, verifyCase{fmt.Sprintf("small-order R %d (order 8 A)", i), A8, m, s, true})
	}
	// Keys that are no point at all.
	for y := byte(2); len(cases) < 40 && y < 40; y++ {
		A := make([]byte, 32)
		A[0] = y
		var c curve.CompressedEdwardsY
		var p curve.EdwardsPoint
		_, _ = c.SetBytes(A)
		if _, err := p.SetCompressedY(&c); err == nil {
			continue
		}
		cases = append(cases, verifyCase{fmt.Sprintf("A not on the curve (y = %d)", y), A, []byte("x"), make([]byte, 64), false})
		break
	}
	return cases
}

// mixedOrderCases: A = aB + T (T of order 8) with signatures made by a.
// crypto/ed25519's cofactorless check accepts only those where [k]T is
// the identity (k = 0 mod 8); a cofactored verifier accepts every one.
func mixedOrderCases(t testing.TB) []verifyCase {
	var a, r scalar.Scalar
	if _, err := a.SetRandom(nil); err != nil {
		t.Fatal(err)
	}
	var A curve.EdwardsPoint
	A.MulBasepoint(curve.ED25519_BASEPOINT_TABLE, &a)
	A.Add(&A, point(t, unhex(t, smallOrder[4].enc)))
	Aenc := enc(&A)
	sign := func(m []byte) []byte {
		if _, err := r.SetRandom(nil); err != nil {
			t.Fatal(err)
		}
		return signScalar(&a, Aenc, m, &r)
	}
	mOK, sOK := searchMsg(t, Aenc, sign, true)
	mNo, sNo := searchMsg(t, Aenc, sign, false)
	// The same with a non-canonical R: the mixed key's accepted signature
	// with R's sign bit flipped is another R altogether, refused.
	sFlip := append([]byte(nil), sOK...)
	sFlip[31] ^= 0x80
	return []verifyCase{
		{"mixed-order A, k = 0 mod 8", Aenc, mOK, sOK, true},
		{"mixed-order A, k != 0 mod 8", Aenc, mNo, sNo, false},
		{"mixed-order A, R's sign flipped", Aenc, mOK, sFlip, false},
	}
}
