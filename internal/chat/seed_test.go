package chat

import (
	"crypto/rand"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// seedMessages signs a few valid messages of each shape with a fresh key.
func seedMessages(tb testing.TB) [][]byte {
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	id, _ := peer.IDFromPrivateKey(key)
	ref := make([]byte, 32)
	var out [][]byte
	for _, b := range []body{
		{Room: "general", Kind: KindText, Text: "hello @bravo", Mentions: []string{"bravo"}, Seq: 1},
		{Room: "general", Kind: KindEdit, Text: "hello", Target: ref, Seq: 2, Prev: ref},
		{Room: "general", Kind: KindACL, Allow: []string{"bravo", "group:ops"}, Seq: 1},
		{To: []byte(id), Kind: KindAlert, Text: "look up", Seq: 1},
		{Room: "general", Kind: KindText, Text: "the report", Seq: 3, Prev: ref,
			Attach: []attachment{{Name: "report.pdf", Size: 1234, Digest: ref, Ref: attachRefPrefix + "00112233445566778899aabbccddeeff"}}},
	} {
		b.V, b.Workgroup, b.Author, b.HLC = version, "wg", []byte(id), 1<<40
		m, err := sign(key, b)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, m.raw)
	}
	return out
}
