package spool

import (
	"bytes"
	"path"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/wire"
)

func seedEnvelope(f *testing.F) []byte {
	k, _, _ := crypto.GenerateEd25519Key(nil)
	p, _ := peer.IDFromPrivateKey(k)
	e := &Envelope{Version: 1, ID: bytes.Repeat([]byte{7}, 16), Sender: []byte(p), Recipient: []byte(p), Workgroup: "wg",
		Kind: KindFile, Created: 1, Size: 3, Hash: bytes.Repeat([]byte{1}, 32)}
	if err := e.Sign(k); err != nil {
		f.Fatal(err)
	}
	b, _ := e.Encode()
	return b
}

// FuzzDecodeEnvelope feeds arbitrary bytes to the envelope decoder (what a
// peer or a mailbox hands over): it returns an error or an envelope that
// re-encodes to the same bytes, and never panics.
func FuzzDecodeEnvelope(f *testing.F) {
	f.Add(seedEnvelope(f))
	f.Add([]byte{0xa0})
	f.Add([]byte{0xa1, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := DecodeEnvelope(data)
		if err != nil {
			return
		}
		_ = e.Verify()
		again, err := e.Encode()
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		e2, err := DecodeEnvelope(again)
		if err != nil || !bytes.Equal(e2.Hash, e.Hash) || !bytes.Equal(e2.ID, e.ID) || e2.Size != e.Size {
			t.Fatalf("unstable round trip: %v", err)
		}
	})
}

// FuzzDecodeReceipt does the same for receipts.
func FuzzDecodeReceipt(f *testing.F) {
	k, _, _ := crypto.GenerateEd25519Key(nil)
	p, _ := peer.IDFromPrivateKey(k)
	env := &Envelope{ID: bytes.Repeat([]byte{9}, 16), Sender: []byte(p), Hash: bytes.Repeat([]byte{2}, 32)}
	rb, _ := newReceipt(k, p, env, StatusRejected, "tampered")
	f.Add(rb)
	old := &Receipt{ID: env.ID, From: []byte(p), To: []byte(p), Status: StatusAccepted, Time: 1, Sig: bytes.Repeat([]byte{1}, 64)}
	ob, _ := wire.Marshal(old) // before receipts named the hash
	f.Add(ob)
	f.Add([]byte{0xa0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeReceipt(data)
		if err != nil {
			return
		}
		_ = r.Verify()
		if len(r.Hash) != 0 && len(r.Hash) != 32 {
			t.Fatalf("decoded a receipt with a %d-byte hash", len(r.Hash))
		}
		again, err := wire.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := DecodeReceipt(again)
		if err != nil || !bytes.Equal(r2.Hash, r.Hash) || !bytes.Equal(r2.To, r.To) || r2.Status != r.Status {
			t.Fatalf("unstable round trip: %v", err)
		}
	})
}

// FuzzPayloadHeader checks the plaintext header decoder and path rules:
// an accepted header never names a path that leaves the destination.
func FuzzPayloadHeader(f *testing.F) {
	good, _ := wire.Marshal(&PayloadHeader{Kind: KindFile, Files: []FileEntry{{Path: "a/b.txt", Size: 3}}})
	bad, _ := wire.Marshal(&PayloadHeader{Kind: KindFile, Files: []FileEntry{{Path: "../etc/passwd", Size: 3}}})
	intoShare, _ := wire.Marshal(&PayloadHeader{Kind: KindFile, Files: []FileEntry{{Path: "a.txt", Size: 1}}, Share: "docs", Dir: "in/box"})
	climb, _ := wire.Marshal(&PayloadHeader{Kind: KindFile, Files: []FileEntry{{Path: "a.txt", Size: 1}}, Share: "docs", Dir: "a/../../x"})
	f.Add(good)
	f.Add(bad)
	f.Add(intoShare)
	f.Add(climb)
	f.Fuzz(func(t *testing.T, data []byte) {
		var h PayloadHeader
		if wire.Unmarshal(data, &h) != nil || h.check() != nil {
			return
		}
		if h.Dir != "" && (h.Share == "" || path.Clean(h.Dir) != h.Dir || h.Dir == ".." || strings.HasPrefix(h.Dir, "../") || strings.HasPrefix(h.Dir, "/")) {
			t.Fatalf("unsafe target accepted: share %q dir %q", h.Share, h.Dir)
		}
		for _, fe := range h.Files {
			if fe.Path == ".." || bytes.HasPrefix([]byte(fe.Path), []byte("../")) || bytes.HasPrefix([]byte(fe.Path), []byte("/")) || bytes.Contains([]byte(fe.Path), []byte("/../")) {
				t.Fatalf("unsafe path accepted: %q", fe.Path)
			}
		}
	})
}
