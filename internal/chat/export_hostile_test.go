package chat

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// SetPushReadIdle replaces pushReadIdle on this node (0: the default).
func (s *Service) SetPushReadIdle(d time.Duration) { s.push.readIdle.Store(int64(d)) }

// HeldSeqs lists the seqs held here in a log per author.
func (s *Service) HeldSeqs(ctx context.Context, wg, log string) map[peer.ID][]uint64 {
	return s.heldSeqs(ctx, logKey{wg, log})
}

// SetHeldCap replaces maxHeldPerAuthor on this node.
func (s *Service) SetHeldCap(n int) { heldCaps.Store(s, n) }

// TestRange is a history range request (author, from, to).
type TestRange struct {
	Author   peer.ID
	From, To uint64
}

// AskHistory sends one raw /peerhood/history/1 request from h to p and
// returns the reply's heads count, messages and error text.
func AskHistory(ctx context.Context, h *p2p.Host, p peer.ID, op, wg, log string, heads map[peer.ID]uint64, ranges []TestRange) (int, [][]byte, string, error) {
	st, err := h.NewStream(ctx, p, p2p.ProtoHistory)
	if err != nil {
		return 0, nil, "", err
	}
	defer st.Close()
	req := histReq{Op: op, Workgroup: wg, Log: log, Heads: headList(heads)}
	for _, r := range ranges {
		req.Ranges = append(req.Ranges, seqRange{Author: []byte(r.Author), From: r.From, To: r.To})
	}
	if err := wire.WriteFrame(st, req); err != nil {
		return 0, nil, "", err
	}
	rd := wire.NewReader(st, maxHistFrame)
	defer rd.Release()
	var rep histReply
	if err := rd.ReadFrame(&rep); err != nil {
		return 0, nil, "", err
	}
	return len(rep.Heads), rep.Msgs, rep.Err, nil
}

// DirectRaw hands raw messages to p over /peerhood/dm/1 (this node's
// host), as they are.
func (s *Service) DirectRaw(ctx context.Context, p peer.ID, raws ...[]byte) error {
	return s.sendDirect(ctx, p, raws...)
}

// SignUnchecked signs b as SignTest does, without checking its bounds
// (a hostile author's message).
func SignUnchecked(key crypto.PrivKey, b TestBody) ([]byte, error) {
	bd := body{V: version, Workgroup: b.Workgroup, Room: b.Room, Author: []byte(b.Author), Seq: b.Seq, Prev: b.Prev, HLC: b.HLC, Kind: b.Kind, Text: b.Text}
	bb, err := wire.Marshal(&bd)
	if err != nil {
		return nil, err
	}
	sig, err := identity.Sign(key, append([]byte(signDomain), bb...))
	if err != nil {
		return nil, err
	}
	return wire.Marshal(&signed{Body: bb, Sig: sig})
}

// ServeFakeHistory replaces h's /peerhood/history/1 handler (a hostile
// member's): heads requests get heads, get requests msgs (both raw).
func ServeFakeHistory(h *p2p.Host, heads []TestRange, msgs [][]byte) {
	h.Handle(p2p.ProtoHistory, func(st network.Stream) {
		defer st.Close()
		rd := wire.NewReader(st, maxHistFrame)
		defer rd.Release()
		for range histOps {
			var req histReq
			if rd.ReadFrame(&req) != nil {
				return
			}
			var rep histReply
			if req.Op == opHeads {
				for _, x := range heads {
					rep.Heads = append(rep.Heads, head{Author: []byte(x.Author), Seq: x.To})
				}
			} else {
				rep.Msgs = msgs
			}
			if wire.WriteFrame(st, rep) != nil {
				return
			}
		}
	})
}
