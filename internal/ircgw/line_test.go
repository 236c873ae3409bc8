package ircgw

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	cases := []struct {
		in   string
		want Line
		err  error
	}{
		{"PING", Line{Command: "PING"}, nil},
		{"ping x\r\n", Line{Command: "PING", Params: []string{"x"}}, nil},
		{":nick!u@h PRIVMSG #chan :hello world", Line{Source: "nick!u@h", Command: "PRIVMSG", Params: []string{"#chan", "hello world"}}, nil},
		{"CMD a  b   :c d ", Line{Command: "CMD", Params: []string{"a", "b", "c d "}}, nil},
		{"CMD a :", Line{Command: "CMD", Params: []string{"a", ""}}, nil},
		{"CMD ::x", Line{Command: "CMD", Params: []string{":x"}}, nil},
		{"001 me :Welcome", Line{Command: "001", Params: []string{"me", "Welcome"}}, nil},
		{"@a=b;c;+d/e=f\\sg\\:h\\\\i\\r\\n\\x;k= CMD", Line{Tags: []Tag{{"a", "b"}, {"c", ""}, {"+d/e", "f g;h\\i\r\nx"}, {"k", ""}}, Command: "CMD"}, nil},
		{"@a=trailing\\ CMD", Line{Tags: []Tag{{"a", "trailing"}}, Command: "CMD"}, nil},
		{"@vendor.example.com/x=1 :s CMD p", Line{Tags: []Tag{{"vendor.example.com/x", "1"}}, Source: "s", Command: "CMD", Params: []string{"p"}}, nil},
		{"CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", Line{Command: "CMD", Params: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15 16"}}, nil},
		{"", Line{}, ErrEmpty},
		{"   ", Line{}, ErrEmpty},
		{"CMD a\x00b", Line{}, ErrBadByte},
		{"CMD a\rb", Line{}, ErrBadByte},
		{"@a=b", Line{}, ErrBadTag},
		{"@ CMD", Line{}, ErrBadTag},
		// Invalid key names are dropped, never a reason to refuse.
		{"@=b CMD", Line{Command: "CMD"}, nil},
		{"@a/=b;ok=1 CMD", Line{Tags: []Tag{{"ok", "1"}}, Command: "CMD"}, nil},
		{"@a_b=c;+x.y/z CMD", Line{Tags: []Tag{{"+x.y/z", ""}}, Command: "CMD"}, nil},
		{": CMD", Line{}, ErrBadSource},
		{":src", Line{}, ErrBadSource},
		{"12 x", Line{}, ErrBadCmd},
		{"PRIV-MSG x", Line{}, ErrBadCmd},
		{"CMD " + strings.Repeat("a", 507), Line{}, ErrTooLong},
		{"@a=" + strings.Repeat("b", MaxTags) + " CMD", Line{}, ErrTooLong},
	}
	for _, tc := range cases {
		got, err := ParseLine(tc.in)
		if !errors.Is(err, tc.err) {
			t.Errorf("ParseLine(%q): error %v, want %v", tc.in, err, tc.err)
			continue
		}
		if err == nil && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseLine(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
	// The limits themselves are allowed.
	if _, err := ParseLine("CMD " + strings.Repeat("a", 506)); err != nil {
		t.Errorf("510 bytes refused: %v", err)
	}
	if _, err := ParseLine("@a=" + strings.Repeat("b", MaxTags-5) + " CMD"); err != nil {
		t.Errorf("%d tag bytes refused: %v", MaxTags, err)
	}
}

func TestFormat(t *testing.T) {
	cases := []struct {
		in   Line
		want string
		ok   bool
	}{
		{Line{Command: "PING", Params: []string{"x"}}, "PING x", true},
		{Line{Source: "s", Command: "privmsg", Params: []string{"#c", "hi there"}}, ":s PRIVMSG #c :hi there", true},
		{Line{Command: "CMD", Params: []string{"a", ""}}, "CMD a :", true},
		{Line{Command: "CMD", Params: []string{":x"}}, "CMD ::x", true},
		{Line{Tags: []Tag{{"time", "x y;z\\"}, {"flag", ""}}, Command: "CMD"}, "@time=x\\sy\\:z\\\\;flag CMD", true},
		{Line{Command: "CMD", Params: []string{"a b", "c"}}, "", false},
		{Line{Command: "CMD", Params: []string{"", "c"}}, "", false},
		{Line{Command: "CMD", Params: []string{"a\nb"}}, "", false},
		{Line{Source: "a b", Command: "CMD"}, "", false},
		{Line{Command: ""}, "", false},
		{Line{Command: "C1"}, "", false},
		{Line{Tags: []Tag{{"bad key", ""}}, Command: "CMD"}, "", false},
		{Line{Command: "CMD", Params: []string{strings.Repeat("a", 507)}}, "", false},
		{Line{Command: "CMD", Params: make([]string, 16)}, "", false},
	}
	for _, tc := range cases {
		got, err := Format(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Format(%#v) = %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestRoundTrip: whatever parses formats back to a line that parses the
// same (the property FuzzParseLine checks on random input).
func TestRoundTrip(t *testing.T) {
	for _, in := range []string{
		"@a=b\\sc;d :src CMD x y :z w",
		"CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
		"CMD ::x",
		"@+x=\\ CMD",
		"CMD :",
	} {
		checkRoundTrip(t, in)
	}
}

func checkRoundTrip(t *testing.T, in string) {
	t.Helper()
	l, err := ParseLine(in)
	if err != nil {
		return
	}
	out, err := Format(l)
	if err != nil {
		// Only a 15th parameter given without ':' grows by one byte.
		if errors.Is(err, ErrTooLong) && len(l.Params) == MaxParams {
			return
		}
		t.Fatalf("Format(ParseLine(%q)): %v", in, err)
	}
	again, err := ParseLine(out)
	if err != nil {
		t.Fatalf("ParseLine(Format(ParseLine(%q))) = %q: %v", in, out, err)
	}
	if !reflect.DeepEqual(l, again) {
		t.Fatalf("round trip of %q: %#v then %#v", in, l, again)
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		"PING x", ":n!u@h PRIVMSG #c :hi", "@time=2026-01-01T00:00:00.000Z;msgid=x :s CMD a b :c",
		"@a=\\:\\s\\\\\\r\\n\\ CMD", "CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", "CAP LS 302",
		"AUTHENTICATE +", "CHATHISTORY LATEST #c * 10",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkRoundTrip(t, in)
	})
}
