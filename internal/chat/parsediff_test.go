package chat

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/peerhood/peerhood/internal/wire"
)

// seedBodies are the bodies of the seed messages (every kind of field,
// attachments included), and a few bodies the fast decoder must leave to
// the general one.
func seedBodies(tb testing.TB) [][]byte {
	var out [][]byte
	for _, raw := range seedMessages(tb) {
		s, ok := splitSigned(raw)
		if !ok {
			tb.Fatal("seed not in sign's form")
		}
		out = append(out, s.Body)
	}
	return out
}

// sameParse fails t when parse and parseOld disagree on body (wrapped in
// a signed envelope): one accepts what the other refuses, or they read
// different messages. When decodeBody reads the body, the general
// decoder and the re-encoding check accept it, to the same body.
func sameParse(t *testing.T, bodyEnc []byte) {
	t.Helper()
	var fast body
	if decodeBody(bodyEnc, &fast, nil) {
		var slow body
		if err := wire.Unmarshal(bodyEnc, &slow); err != nil {
			t.Fatalf("decodeBody read %x, the general decoder refuses it: %v", bodyEnc, err)
		}
		if !deterministic(&slow, bodyEnc) {
			t.Fatalf("decodeBody read %x, not in deterministic form", bodyEnc)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("decodeBody read %x as\n%+v\nthe general decoder as\n%+v", bodyEnc, fast, slow)
		}
	}
	raw, err := wire.Marshal(&signed{Body: bodyEnc, Sig: make([]byte, 64)})
	if err != nil {
		t.Fatal(err)
	}
	m, s, err := parse(raw)
	mo, so, errOld := parseOld(raw)
	if (err == nil) != (errOld == nil) {
		t.Fatalf("body %x: parse err %v, parseOld err %v", bodyEnc, err, errOld)
	}
	if err != nil {
		return
	}
	if !reflect.DeepEqual(m.body, mo.body) || m.id != mo.id || m.idHex != mo.idHex || m.authorStr != mo.authorStr ||
		m.authorPID != mo.authorPID || !bytes.Equal(s.Body, so.Body) || !bytes.Equal(s.Sig, so.Sig) {
		t.Fatalf("body %x: parse and parseOld read different messages:\n%+v\n%+v", bodyEnc, m.body, mo.body)
	}
}

// The seed bodies, and random mutations of them (bytes changed, added,
// removed; heads made longer), are parsed alike by parse and parseOld.
func TestParseDifferential(t *testing.T) {
	seeds := seedBodies(t)
	for _, b := range seeds {
		var fast body
		if !decodeBody(b, &fast, nil) && !bytes.Contains(b, []byte{0x0f, 0x81}) { // attachments: the general decoder
			t.Fatalf("decodeBody does not read sign's form %x", b)
		}
		sameParse(t, b)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := bytes.Clone(seeds[rng.IntN(len(seeds))])
		for range 1 + rng.IntN(3) {
			i := rng.IntN(len(b))
			switch rng.IntN(4) {
			case 0:
				b[i] = byte(rng.IntN(256))
			case 1:
				b[i] ^= 1 << rng.IntN(8)
			case 2:
				b = append(b[:i], b[i+1:]...)
			case 3:
				b = append(b[:i], append([]byte{byte(rng.IntN(256))}, b[i:]...)...)
			}
			if len(b) == 0 {
				b = []byte{0xa0}
			}
		}
		sameParse(t, b)
	}
}

// Bodies near the canonical form: each must be parsed alike (most are
// refused by both, a few accepted by both).
func TestParseDifferentialCases(t *testing.T) {
	_, author := newPeer(t)
	good := func(mut func(*body)) []byte {
		b := body{V: version, Workgroup: "wg", Room: "general", Author: []byte(author), Seq: 1, HLC: 7, Kind: KindText, Text: "hi"}
		mut(&b)
		enc, err := wire.Marshal(&b)
		if err != nil {
			t.Fatal(err)
		}
		return enc
	}
	cases := map[string][]byte{
		"plain":             good(func(*body) {}),
		"big numbers":       good(func(b *body) { b.Seq, b.HLC, b.Prev = 1<<40, 1<<63, make([]byte, 32) }),
		"unknown kind":      good(func(b *body) { b.Kind = "shout" }),
		"version 0":         good(func(b *body) { b.V = 0 }),
		"no workgroup":      good(func(b *body) { b.Workgroup = "" }),
		"long text":         good(func(b *body) { b.Text = strings.Repeat("é", 9000) }),
		"mentions":          good(func(b *body) { b.Mentions = []string{"a", "bb"} }),
		"allow on text":     good(func(b *body) { b.Allow = []string{"x"} }),
		"empty author":      good(func(b *body) { b.Author = nil }),
		"invalid utf8":      good(func(b *body) { b.Text = "\xff" }),
		"empty map":         {0xa0},
		"unknown key":       {0xa1, 0x10, 0x00},
		"empty room field":  {0xa7, 0x01, 0x01, 0x02, 0x62, 'w', 'g', 0x03, 0x60, 0x05, 0x40, 0x06, 0x01, 0x08, 0x01, 0x0a, 0x64, 't', 'e', 'x', 't'},
		"V too large":       {0xa6, 0x01, 0x19, 0x01, 0x00, 0x02, 0x62, 'w', 'g', 0x05, 0x40, 0x06, 0x01, 0x08, 0x01, 0x0a, 0x64, 't', 'e', 'x', 't'},
		"long seq head":     {0xa6, 0x01, 0x01, 0x02, 0x62, 'w', 'g', 0x05, 0x40, 0x06, 0x18, 0x01, 0x08, 0x01, 0x0a, 0x64, 't', 'e', 'x', 't'},
		"keys out of order": {0xa6, 0x02, 0x62, 'w', 'g', 0x01, 0x01, 0x05, 0x40, 0x06, 0x01, 0x08, 0x01, 0x0a, 0x64, 't', 'e', 'x', 't'},
		"empty mentions":    {0xa7, 0x01, 0x01, 0x02, 0x62, 'w', 'g', 0x05, 0x40, 0x06, 0x01, 0x08, 0x01, 0x0a, 0x64, 't', 'e', 'x', 't', 0x0d, 0x80},
		"trailing byte":     append(good(func(*body) {}), 0x00),
	}
	for name, enc := range cases {
		t.Run(name, func(t *testing.T) { sameParse(t, enc) })
	}
}

// FuzzParseDifferential: on any body, parse (fast decoder first) and
// parseOld (general decoder and re-encoding check) accept and refuse
// alike, and read the same message.
//
//	go test -run '^$' -fuzz FuzzParseDifferential -fuzztime 60s ./internal/chat/
func FuzzParseDifferential(f *testing.F) {
	for _, b := range seedBodies(f) {
		f.Add(b)
	}
	f.Add([]byte{0xa0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxSigned {
			return
		}
		sameParse(t, data)
	})
}
