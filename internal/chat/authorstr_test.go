package chat

import (
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
)

// The author text cache gives what peer.ID.String gives, for IDs seen
// before and new ones, and stays within maxAuthorText entries however
// many authors come.
func TestAuthorTextCache(t *testing.T) {
	var c textCache
	_, a := newPeer(t)
	_, b := newPeer(t)
	for _, tc := range []struct {
		name string
		p    peer.ID
	}{
		{"first", a}, {"first again", a}, {"second", b}, {"not an ed25519 ID", peer.ID("\x00\x03abc")}, {"empty", ""},
	} {
		if got, want := c.get(tc.p), tc.p.String(); got != want {
			t.Errorf("%s: %q, want %q", tc.name, got, want)
		}
	}
	for i := range 3 * maxAuthorText {
		p := peer.ID([]byte{0, 4, byte(i), byte(i >> 8), byte(i >> 16), 1})
		if got := c.get(p); got != p.String() {
			t.Fatalf("author %d: %q, want %q", i, got, p.String())
		}
		if n := c.len(); n > maxAuthorText {
			t.Fatalf("%d entries after %d authors, want at most %d", n, i+1, maxAuthorText)
		}
	}
	k, author := newPeer(t)
	sm, err := sign(k, body{V: version, Workgroup: "wg1", Room: "general", Author: []byte(author), Seq: 1, HLC: 1, Kind: KindText, Text: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := decode(sm.raw); err != nil || m.authorID() != author.String() {
		t.Fatalf("decoded message's author text, want %q (%v)", author.String(), err)
	}
}
