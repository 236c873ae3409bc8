package workgroup

import (
	"strings"
	"testing"
)

// A token cut short anywhere (the usual copy mistake) says so, in plain
// words; a mistyped character in the middle is named by position.
func TestTruncatedTokenMessage(t *testing.T) {
	t.Parallel()
	root, _ := NewRoot("office")
	p := newPeer(t)
	tok := Token{Workgroup: root.ID, RootPub: root.Pub, Name: root.Name, Secret: make([]byte, 32), Expires: 1e9,
		Inviter: []byte(p.id), Addrs: []string{"/ip4/127.0.0.1/tcp/4317"}}
	s, err := tok.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for cut := 1; cut < len(s)-len(TokenPrefix)-1; cut += 7 {
		_, err := ParseToken(s[:len(s)-cut])
		if err == nil || !strings.Contains(err.Error(), "this invite token is incomplete (copy all of it)") {
			t.Fatalf("cut by %d: %v", cut, err)
		}
	}
	bad := s[:20] + "!" + s[21:]
	if _, err := ParseToken(bad); err == nil || !strings.Contains(err.Error(), "character 21 ") {
		t.Fatalf("mistyped: %v", err)
	}
}
