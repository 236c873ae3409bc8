package chat

import (
	"errors"
	"strings"
	"testing"
)

// A message's attachments are checked as the rest of its body: on a
// text or notice only, at most maxAttach, each a base name with a
// SHA-256 digest and a reference.
func TestCheckAttach(t *testing.T) {
	_, id := newPeer(t)
	digest := make([]byte, 32)
	ok := attachment{Name: "report.pdf", Size: 10, Digest: digest, Ref: attachRefPrefix + "ab"}
	with := func(f func(*attachment)) []attachment { a := ok; f(&a); return []attachment{a} }
	many := make([]attachment, maxAttach+1)
	for i := range many {
		many[i] = ok
	}
	tests := []struct {
		name   string
		kind   string
		attach []attachment
		valid  bool
	}{
		{"one file", KindText, []attachment{ok}, true},
		{"on a notice", KindNotice, []attachment{ok, ok}, true},
		{"on a reaction", KindReaction, []attachment{ok}, false},
		{"too many", KindText, many, false},
		{"a path, not a name", KindText, with(func(a *attachment) { a.Name = "../etc/passwd" }), false},
		{"a dot name", KindText, with(func(a *attachment) { a.Name = ".." }), false},
		{"a backslash", KindText, with(func(a *attachment) { a.Name = `a\b` }), false},
		{"empty name", KindText, with(func(a *attachment) { a.Name = "" }), false},
		{"long name", KindText, with(func(a *attachment) { a.Name = strings.Repeat("x", maxAttachName+1) }), false},
		{"short digest", KindText, with(func(a *attachment) { a.Digest = digest[:16] }), false},
		{"no reference", KindText, with(func(a *attachment) { a.Ref = "" }), false},
		{"long reference", KindText, with(func(a *attachment) { a.Ref = strings.Repeat("r", maxAttachRef+1) }), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := body{V: version, Workgroup: "wg", Room: "general", Author: []byte(id), Seq: 1, HLC: 1, Kind: tc.kind, Text: "x", Attach: tc.attach}
			if tc.kind == KindReaction {
				b.Target = digest
			}
			err := b.check()
			if (err == nil) != tc.valid {
				t.Fatalf("check: %v, want valid %v", err, tc.valid)
			}
			if err != nil && !errors.Is(err, errBadMessage) {
				t.Fatalf("check: %v is not errBadMessage", err)
			}
		})
	}
}
