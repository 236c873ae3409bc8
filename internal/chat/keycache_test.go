package chat

import (
	"errors"
	"testing"
)

// An author's expanded key is cached (in identity) once a signature of it
// verified, and a message is still verified against it: a flipped
// signature bit, or a body changed under a good signature, is refused
// with the key cached (identity's TestExpandedKeyCache bounds the cache).
func TestAuthorKeyCache(t *testing.T) {
	ka, a := newPeer(t)
	m, err := sign(ka, body{V: version, Workgroup: "wg1", Room: "r", Author: []byte(a), Seq: 1, HLC: 1, Kind: KindText, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := sign(ka, body{V: version, Workgroup: "wg1", Room: "r", Author: []byte(a), Seq: 1, HLC: 1, Kind: KindText, Text: "hullo"})
	if err != nil {
		t.Fatal(err)
	}
	// The signature is the one libp2p's key makes (identity.Sign).
	var ms signed
	if err := unmarshal(m.raw, &ms); err != nil {
		t.Fatal(err)
	}
	if want, _ := ka.Sign(append([]byte(signDomain), ms.Body...)); string(ms.Sig) != string(want) {
		t.Fatal("signature differs from the libp2p key's")
	}
	badSig := func() []byte {
		var s signed
		if err := unmarshal(m.raw, &s); err != nil {
			t.Fatal(err)
		}
		s.Sig[5] ^= 1
		raw, err := marshal(&s)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}()
	swapped := func() []byte { // other's body under m's signature
		var s, o signed
		if err := unmarshal(m.raw, &s); err != nil {
			t.Fatal(err)
		}
		if err := unmarshal(other.raw, &o); err != nil {
			t.Fatal(err)
		}
		raw, err := marshal(&signed{Body: o.Body, Sig: s.Sig})
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}()
	steps := []struct {
		name string
		raw  []byte
		ok   bool
	}{
		{"good, key not cached", m.raw, true},
		{"good, key cached", m.raw, true},
		{"flipped signature bit, key cached", badSig, false},
		{"body swapped under a good signature, key cached", swapped, false},
	}
	for _, st := range steps {
		_, err := decode(st.raw)
		if (err == nil) != st.ok || (err != nil && !errors.Is(err, errBadMessage)) {
			t.Errorf("%s: %v, want ok=%v", st.name, err, st.ok)
		}
	}
}
