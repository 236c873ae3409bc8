package chat

import (
	"bytes"
	"strings"
	"testing"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/wire"
)

// splitSigned reads exactly what sign writes, and a signed envelope in
// any other encoding the general decoder accepts (here: a body length in
// a longer head than needed) is still parsed as before, to the same body.
func TestSplitSigned(t *testing.T) {
	for _, raw := range seedMessages(t) {
		s, ok := splitSigned(raw)
		if !ok {
			t.Fatalf("sign's encoding not read by splitSigned: %x", raw[:8])
		}
		var want signed
		if err := wire.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(s.Body, want.Body) || !bytes.Equal(s.Sig, want.Sig) {
			t.Fatal("splitSigned differs from the decoder")
		}
	}
	raw := seedMessages(t)[0]
	if raw[2] != 0x58 { // body length in one byte
		t.Fatalf("seed body head %x", raw[2])
	}
	long := append([]byte{0xa2, 0x01, 0x59, 0x00}, raw[3:]...) // same length, two bytes
	if _, ok := splitSigned(long); ok {
		t.Fatal("splitSigned read a non-shortest head")
	}
	m, _, err := parse(long)
	if err != nil {
		t.Fatalf("the general decoder's path refused it: %v", err)
	}
	want, _, _ := parse(raw)
	if m.Text != want.Text || m.Seq != want.Seq || m.ID() == want.ID() {
		t.Fatal("fallback parse differs")
	}
	for _, bad := range [][]byte{nil, {0xa2}, {0xa2, 0x01}, {0xa2, 0x01, 0x40, 0x02}, {0xa2, 0x01, 0x41, 0x02, 0x40},
		{0xa2, 0x01, 0x40, 0x02, 0x40, 0x00}, {0xa2, 0x01, 0x5f, 0x40, 0xff, 0x02, 0x40}, {0xa2, 0x01, 0x5b, 0, 0, 0, 0, 0, 0, 0, 1},
		{0xa2, 0x02, 0x40, 0x01, 0x40}, {0xa2, 0x01, 0x58, 0x01, 0x07, 0x02, 0x40}} {
		if s, ok := splitSigned(bad); ok {
			t.Fatalf("splitSigned read %x as %+v", bad, s)
		}
	}
}

// FuzzSplitSigned: whatever splitSigned reads, the general decoder reads
// alike (it only takes a shortcut, never accepts more).
func FuzzSplitSigned(f *testing.F) {
	for _, seed := range seedMessages(f) {
		f.Add(seed)
	}
	f.Add([]byte{0xa2, 0x01, 0x40, 0x02, 0x40})
	f.Add([]byte{0xa2, 0x01, 0x59, 0x00, 0x01, 0x07, 0x02, 0x40})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, ok := splitSigned(data)
		if !ok {
			return
		}
		var want signed
		if err := wire.Unmarshal(data, &want); err != nil {
			t.Fatalf("splitSigned read what the decoder refuses: %v", err)
		}
		if !bytes.Equal(s.Body, want.Body) || !bytes.Equal(s.Sig, want.Sig) {
			t.Fatal("splitSigned differs from the decoder")
		}
		again, err := wire.Marshal(&want)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatal("splitSigned read a form sign does not write")
		}
	})
}

// The topic validator takes this node's own publish (ReceivedFrom = this
// node, the signed message as validator data, the same bytes) without
// decoding or verifying it again; anything else is decoded and verified:
// a message from another peer, even carrying validator data, and a local
// one whose bytes are not those signed.
func TestOwnPublishNotVerifiedAgain(t *testing.T) {
	ka, a := newPeer(t)
	_, b := newPeer(t)
	m, err := sign(ka, body{V: version, Workgroup: "wg1", Room: "r", Author: []byte(a), Seq: 1, HLC: 1, Kind: KindText, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	var sg signed
	if err := unmarshal(m.raw, &sg); err != nil {
		t.Fatal(err)
	}
	sg.Sig[0] ^= 1
	forged, err := marshal(&sg)
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{self: a}
	pmsg := func(data []byte, vd any) *pubsub.Message {
		return &pubsub.Message{Message: &pb.Message{Data: data}, ValidatorData: vd}
	}
	cases := []struct {
		name     string
		from     peer.ID
		pm       *pubsub.Message
		same, ok bool
	}{
		{"own publish", a, pmsg(m.raw, m), true, true},
		{"own publish without validator data", a, pmsg(m.raw, nil), false, true},
		{"received, validator data set", b, pmsg(forged, m), false, false},
		{"received good", b, pmsg(m.raw, nil), false, true},
		{"local, other bytes", a, pmsg(forged, m), false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, sig, own, err := s.ownOrParse(c.from, c.pm)
			if err == nil && !own {
				err = got.verify(sig)
			}
			if (err == nil) != c.ok {
				t.Fatalf("err %v, want ok %v", err, c.ok)
			}
			if (got == m) != c.same {
				t.Fatalf("same message %v, want %v", got == m, c.same)
			}
		})
	}
}

// BenchmarkParse: allocations and time of parsing and verifying a
// received room message (the validator's decode).
// go test -run '^$' -bench Parse -benchmem ./internal/chat/
func BenchmarkParse(b *testing.B) {
	ka, a := newPeer(b)
	m, err := sign(ka, body{V: version, Workgroup: "wg1", Room: "bench", Author: []byte(a), Seq: 2, Prev: make([]byte, 32), HLC: 1, Kind: KindText, Text: strings.Repeat("x", 100)})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := parse(m.raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decode(m.raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}
