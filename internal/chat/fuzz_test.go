package chat

import (
	"bytes"
	"testing"

	"github.com/peerhood/peerhood/internal/wire"
)

// FuzzDecodeMessage feeds arbitrary bytes to the message decoder: it
// returns a checked, verified message or an error, never panics; a
// message it accepts has a well-formed body and decodes again to the
// same ID.
func FuzzDecodeMessage(f *testing.F) {
	for _, seed := range seedMessages(f) {
		f.Add(seed)
	}
	f.Add([]byte{})
	f.Add([]byte{0xa2, 0x01, 0x40, 0x02, 0x40})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decode(data)
		if err != nil {
			return
		}
		if err := m.check(); err != nil {
			t.Fatalf("decode accepted an invalid body: %v", err)
		}
		if !bytes.Equal(m.raw, data) {
			t.Fatal("raw bytes differ from the input")
		}
		m2, err := decode(m.raw)
		if err != nil || m2.ID() != m.ID() {
			t.Fatalf("unstable decode: %v", err)
		}
	})
}

// FuzzHistoryFrames feeds arbitrary bytes to the frame reader of
// /peerhood/history/1 and /peerhood/dm/1 as a server and a client read
// them: requests are checked, replies bounded; nothing panics.
func FuzzHistoryFrames(f *testing.F) {
	for _, v := range []any{
		histReq{Op: opHeads, Workgroup: "wg", Log: "general"},
		histReq{Op: opHeads, Workgroup: "wg", Log: "general", Heads: []head{{Author: []byte("\x00\x04abcd"), Seq: 3}}, Own: true},
		histReq{Op: opGet, Workgroup: "wg", Ranges: []seqRange{{Author: []byte("\x00\x04abcd"), From: 1, To: 9}}},
		histReply{Heads: []head{{Author: []byte("\x00\x04abcd"), Seq: 3}}},
		histReply{Err: "not allowed in that room"},
		histReq{Op: opAttach, Workgroup: "wg", Log: "general", Msg: bytes.Repeat([]byte{7}, 32)},
		dmReq{Msgs: [][]byte{{0xa0}}},
	} {
		var buf bytes.Buffer
		if err := wire.WriteFrame(&buf, v); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		var req histReq
		if err := wire.NewReader(bytes.NewReader(data), maxHistFrame).ReadFrame(&req); err == nil && req.check() == nil {
			if len(req.Heads) > maxHeads || len(req.Ranges) > maxRanges {
				t.Fatal("check passed too many entries")
			}
			if req.Op == opAttach && (req.Log == "" || len(req.Msg) != 32) {
				t.Fatal("check passed an attach without room or message ID")
			}
			for _, g := range req.Ranges {
				if g.From == 0 || g.To < g.From {
					t.Fatalf("check passed range %d-%d", g.From, g.To)
				}
			}
		}
		var rep histReply
		_ = wire.NewReader(bytes.NewReader(data), maxHistFrame).ReadFrame(&rep)
		var dm dmReq
		if err := wire.NewReader(bytes.NewReader(data), maxDMFrame).ReadFrame(&dm); err == nil {
			for _, raw := range dm.Msgs {
				_, _ = decode(raw)
			}
		}
	})
}
