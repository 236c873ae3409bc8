package spool

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
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

// depositSeeds are frames a mailbox reads: a batch deposit of two small
// messages, a large deposit, receipts, a get and an ack naming senders.
func depositSeeds(f *testing.F) [][]byte {
	env := seedEnvelope(f)
	k, _, _ := crypto.GenerateEd25519Key(nil)
	p, _ := peer.IDFromPrivateKey(k)
	e, _ := DecodeEnvelope(env)
	rb, _ := newReceipt(k, p, e, StatusAccepted, "")
	var out [][]byte
	for _, req := range []mailboxReq{
		{Op: opDeposit, Items: []pushItem{{Envelope: env, Data: []byte("abc")}, {Envelope: env, Data: nil}}},
		{Op: opDeposit, Envelope: env},
		{Op: opDepositReceipt, Receipts: [][]byte{rb, []byte{0xa0}}},
		{Op: opGet, ID: e.IDString(), Offset: 7, Sender: p.String()},
		{Op: opAck, Acks: []mailboxAck{{Item: itemMessage, ID: e.IDString(), Sender: p.String()}, {Item: itemReceipt, ID: "x"}}},
	} {
		b, _ := wire.Marshal(&req)
		out = append(out, b)
	}
	return out
}

// FuzzMailboxFrame decodes what a member sends a mailbox (deposit frames
// with their envelopes and receipts, get, ack): errors, never a panic, and
// whatever decodes re-encodes.
func FuzzMailboxFrame(f *testing.F) {
	for _, s := range depositSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var req mailboxReq
		if wire.Unmarshal(data, &req) != nil {
			return
		}
		for _, it := range req.Items {
			if e, err := DecodeEnvelope(it.Envelope); err == nil {
				_ = e.Verify()
			}
		}
		for _, rb := range append(req.Receipts, req.Receipt) {
			if r, err := DecodeReceipt(rb); err == nil {
				_ = r.Verify()
			}
		}
		stableFrame(t, &req, &mailboxReq{})
	})
}

// FuzzDeliverFrame does the same for /peerhood/deliver/1 requests and the
// replies a sender reads (receipts inside).
func FuzzDeliverFrame(f *testing.F) {
	env := seedEnvelope(f)
	k, _, _ := crypto.GenerateEd25519Key(nil)
	p, _ := peer.IDFromPrivateKey(k)
	e, _ := DecodeEnvelope(env)
	rb, _ := newReceipt(k, p, e, StatusRejected, "no")
	for _, v := range []any{
		&deliverReq{Op: opOffer, Envelope: env},
		&deliverReq{Op: opPush, Items: []pushItem{{Envelope: env, Data: []byte("abc")}}},
		&deliverReq{Op: opReceipt, Receipt: rb},
		&deliverReq{Op: opLive, Live: &liveHeader{ID: bytes.Repeat([]byte{3}, idLen), Workgroup: "wg", Kind: KindFile, Max: 1 << 30}},
		&deliverReq{Op: opLiveSeal, Envelope: env},
		&deliverReply{Replies: []deliverReply{{Receipt: rb}, {Done: true, Receipt: rb}, {Err: &wire.Error{Code: codeQuota, Message: "q"}}}},
	} {
		b, _ := wire.Marshal(v)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var req deliverReq
		if wire.Unmarshal(data, &req) == nil {
			for _, it := range append(req.Items, pushItem{Envelope: req.Envelope}) {
				if e, err := DecodeEnvelope(it.Envelope); err == nil {
					_ = e.Verify()
				}
			}
			if r, err := DecodeReceipt(req.Receipt); err == nil {
				_ = r.Verify()
			}
			stableFrame(t, &req, &deliverReq{})
		}
		var rep deliverReply
		if wire.Unmarshal(data, &rep) == nil {
			for _, x := range append(rep.Replies, rep) {
				if r, err := DecodeReceipt(x.Receipt); err == nil {
					_ = r.Verify()
				}
			}
			stableFrame(t, &rep, &deliverReply{})
		}
	})
}

// TestWriteFuzzSeeds writes the seed corpus files under testdata/fuzz
// (run with PEERHOOD_WRITE_SEEDS=1 after changing a frame).
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("PEERHOOD_WRITE_SEEDS") == "" {
		t.Skip("set PEERHOOD_WRITE_SEEDS=1 to rewrite the seed corpus")
	}
	f := &testing.F{}
	write := func(name string, seeds [][]byte) {
		dir := filepath.Join("testdata", "fuzz", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range seeds {
			body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(s)) + ")\n"
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("frame%d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("FuzzMailboxFrame", depositSeeds(f))
	k, _, _ := crypto.GenerateEd25519Key(nil)
	p, _ := peer.IDFromPrivateKey(k)
	e, _ := DecodeEnvelope(seedEnvelope(f))
	rb, _ := newReceipt(k, p, e, StatusAccepted, "")
	write("FuzzDecodeReceipt", [][]byte{rb})
	req, _ := wire.Marshal(&deliverReq{Op: opPush, Items: []pushItem{{Envelope: seedEnvelope(f), Data: []byte("x")}}})
	write("FuzzDeliverFrame", [][]byte{req})
	write("FuzzLiveHeader", liveHeaderSeeds())
	writeSegs(t, liveSegmentSeeds())
	write("FuzzSealedPayload", sealedSeeds(t))
}

// writeSegs writes FuzzLiveSegments' seeds (bytes and a bound).
func writeSegs(t *testing.T, seeds [][]byte) {
	dir := filepath.Join("testdata", "fuzz", "FuzzLiveSegments")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range seeds {
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(s)) + ")\nuint16(1000)\n"
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seg%d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// stableFrame checks that a decoded frame v encodes, that its encoding
// decodes (into fresh, of v's type), and that it encodes again to the
// same bytes: what a node forwards or stores from a frame it read is
// what it would read back.
func stableFrame[T any](t *testing.T, v, fresh *T) {
	t.Helper()
	b, err := wire.Marshal(v)
	if err != nil {
		t.Fatalf("a decoded frame does not encode: %v", err)
	}
	if err := wire.Unmarshal(b, fresh); err != nil {
		t.Fatalf("a decoded frame's encoding does not decode: %v", err)
	}
	again, err := wire.Marshal(fresh)
	if err != nil || !bytes.Equal(again, b) {
		t.Fatalf("unstable round trip (%v):\n%x\n%x", err, b, again)
	}
}
