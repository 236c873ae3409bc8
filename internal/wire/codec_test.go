package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

type sample struct {
	A string            `cbor:"1,keyasint"`
	B uint64            `cbor:"2,keyasint"`
	C []byte            `cbor:"3,keyasint,omitempty"`
	M map[string]string `cbor:"4,keyasint,omitempty"`
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	cases := []sample{
		{},
		{A: "hello", B: 42},
		{A: "x", B: 1 << 60, C: bytes.Repeat([]byte{7}, 1000), M: map[string]string{"z": "1", "a": "2"}},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		if err := WriteFrame(&buf, c); err != nil {
			t.Fatal(err)
		}
		var got sample
		if err := NewReader(&buf, 0).ReadFrame(&got); err != nil {
			t.Fatal(err)
		}
		if got.A != c.A || got.B != c.B || !bytes.Equal(got.C, c.C) || len(got.M) != len(c.M) {
			t.Fatalf("round trip: got %+v want %+v", got, c)
		}
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	m1 := map[string]int{"b": 1, "a": 2, "c": 3}
	m2 := map[string]int{"c": 3, "a": 2, "b": 1}
	for i := 0; i < 20; i++ {
		b1, _ := Marshal(m1)
		b2, _ := Marshal(m2)
		if !bytes.Equal(b1, b2) {
			t.Fatalf("encoding not deterministic: %x vs %x", b1, b2)
		}
	}
}

func TestBadFrames(t *testing.T) {
	t.Parallel()
	huge := binary.AppendUvarint(nil, DefaultMaxFrame+1)
	short := append(binary.AppendUvarint(nil, 10), 1, 2, 3)
	dupKeys := append(binary.AppendUvarint(nil, 7), 0xa2, 0x01, 0x61, 'a', 0x01, 0x61, 'b')
	indef := append(binary.AppendUvarint(nil, 3), 0x7f, 0x60, 0xff)
	trailing := append(binary.AppendUvarint(nil, 2), 0x01, 0x01)
	tests := []struct {
		name  string
		in    []byte
		check func(error) bool
	}{
		{"empty", nil, func(err error) bool { return errors.Is(err, io.EOF) }},
		{"too large", huge, func(err error) bool { return errors.Is(err, ErrFrameTooLarge) }},
		{"truncated body", short, func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }},
		{"duplicate map key", dupKeys, func(err error) bool { return err != nil }},
		{"indefinite length", indef, func(err error) bool { return err != nil }},
		{"trailing bytes", trailing, func(err error) bool { return err != nil }},
		{"bad varint", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, func(err error) bool { return err != nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v map[int]any
			err := NewReader(bytes.NewReader(tc.in), 0).ReadFrame(&v)
			if err == nil || !tc.check(err) {
				t.Fatalf("got err %v", err)
			}
		})
	}
}

func TestRawBytesAfterFrame(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteFrame(&buf, sample{A: "hdr", B: 5}); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("12345")
	r := NewReader(&buf, 0)
	var h sample
	if err := r.ReadFrame(&h); err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, h.B)
	if _, err := io.ReadFull(r, raw); err != nil || string(raw) != "12345" {
		t.Fatalf("raw bytes: %q %v", raw, err)
	}
}
