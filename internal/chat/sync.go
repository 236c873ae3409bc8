package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// Frames of /peerhood/history/1 (see doc.go).
type histReq struct {
	Op        string     `cbor:"1,keyasint"` // heads | get | attach
	Workgroup string     `cbor:"2,keyasint"`
	Log       string     `cbor:"3,keyasint,omitempty"`
	Heads     []head     `cbor:"4,keyasint,omitempty"`
	Ranges    []seqRange `cbor:"5,keyasint,omitempty"`
	Msg       []byte     `cbor:"6,keyasint,omitempty"` // attach: the message's ID (attach_save.go)
	// Own: Heads are the asker's own heads of the log (heads; told.go).
	Own bool `cbor:"7,keyasint,omitempty"`
}

type head struct {
	Author []byte `cbor:"1,keyasint"`
	Seq    uint64 `cbor:"2,keyasint"`
}

type seqRange struct {
	Author []byte `cbor:"1,keyasint"`
	From   uint64 `cbor:"2,keyasint"`
	To     uint64 `cbor:"3,keyasint"`
}

type histReply struct {
	Heads []head   `cbor:"1,keyasint,omitempty"`
	Msgs  [][]byte `cbor:"2,keyasint,omitempty"`
	Err   string   `cbor:"3,keyasint,omitempty"`
}

// Bounds of the history protocol.
const (
	maxHistFrame = 2 << 20
	maxHeads     = 10000
	maxRanges    = 10000
	// replyBytes is what one get reply carries at most (then the asker
	// asks again).
	replyBytes   = 1 << 20
	maxReplyMsgs = 2000
	histOps      = 64 // requests served on one stream
)

const (
	opHeads = "heads"
	opGet   = "get"
)

// checkReq checks a request's form.
func (r *histReq) check() error {
	if r.Op != opHeads && r.Op != opGet && r.Op != opAttach {
		return fmt.Errorf("unknown op %q", r.Op)
	}
	if r.Op == opAttach && (r.Log == "" || len(r.Msg) != 32) {
		return errors.New("attach: a room and a message ID")
	}
	if r.Workgroup == "" || len(r.Workgroup) > 128 {
		return errors.New("bad workgroup")
	}
	if r.Log != "" {
		if err := ValidRoom(r.Log); err != nil {
			return err
		}
	}
	if len(r.Heads) > maxHeads || len(r.Ranges) > maxRanges {
		return errors.New("too many heads or ranges")
	}
	for _, h := range r.Heads {
		if _, err := peer.IDFromBytes(h.Author); err != nil {
			return fmt.Errorf("head: %w", err)
		}
	}
	for _, g := range r.Ranges {
		if _, err := peer.IDFromBytes(g.Author); err != nil || g.From == 0 || g.To < g.From {
			return errors.New("bad range")
		}
	}
	return nil
}

// serveHistory answers a member's heads and get requests for logs it may
// read: the directory of a workgroup both are in, a room it is allowed in.
// Direct conversations are never served. The handler is the service's
// work (add): Close resets its stream and waits for it; a stream that
// arrives once Close began is reset unread.
func (s *Service) serveHistory(st network.Stream) {
	if !s.add(1) { // Close began: not served
		_ = st.Reset()
		return
	}
	defer s.wg.Done()
	defer st.Close()
	defer context.AfterFunc(s.ctx, func() { _ = st.Reset() })() // Close: the stream ends with the request at hand
	from := st.Conn().RemotePeer()
	if s.cut(from) {
		_ = st.Reset()
		return
	}
	rd := wire.NewReader(st, maxHistFrame)
	defer rd.Release()
	for range histOps {
		_ = st.SetDeadline(time.Now().Add(s.serveWait()))
		var req histReq
		if err := rd.ReadFrame(&req); err != nil {
			if !errors.Is(err, io.EOF) {
				_ = st.Reset()
			}
			return
		}
		rep, err := s.answer(from, &req)
		if err != nil {
			rep = histReply{Err: err.Error()}
		}
		if err := wire.WriteFrame(st, rep); err != nil {
			_ = st.Reset()
			return
		}
	}
}

func (s *Service) answer(from peer.ID, req *histReq) (histReply, error) {
	if err := req.check(); err != nil {
		return histReply{}, err
	}
	if _, ok := s.dir.Member(req.Workgroup, from); !ok {
		return histReply{}, errors.New("not a member of that workgroup")
	}
	if _, ok := s.dir.Self(req.Workgroup); !ok {
		return histReply{}, errors.New("not in that workgroup")
	}
	if req.Log != "" && !s.allowed(req.Workgroup, req.Log, from) {
		return histReply{}, errors.New("not allowed in that room")
	}
	ctx, cancel := context.WithTimeout(s.ctx, 20*time.Second)
	defer cancel()
	if req.Op == opAttach {
		return histReply{}, s.answerAttach(ctx, from, req)
	}
	s.work.syncServed.Add(1)
	if req.Op == opHeads {
		k := logKey{req.Workgroup, req.Log}
		hs, err := s.seen.snapshot(ctx, s, k)
		if err != nil {
			return histReply{}, err
		}
		if req.Own {
			s.noteTold(k, from, hs, req.Heads)
		}
		return histReply{Heads: headList(hs)}, nil
	}
	// Only what is stored is looked up: a range of an author without
	// messages here, or beyond its head, costs no query (10,000 ranges of
	// unknown authors were 10,000 queries, seconds of CPU a request), and
	// each query run returns a message at least (chains are stored from
	// 1 without gaps), so a request runs maxReplyMsgs of them at most.
	hs, err := s.seen.snapshot(ctx, s, logKey{req.Workgroup, req.Log})
	if err != nil {
		return histReply{}, err
	}
	var rep histReply
	size, queries := 0, 0
	for _, g := range req.Ranges {
		head := hs[peer.ID(g.Author)]
		if g.From > head {
			continue
		}
		if queries++; queries > maxReplyMsgs {
			break
		}
		raws, err := s.rangeRaw(ctx, req.Workgroup, req.Log, peer.ID(g.Author), g.From, min(g.To, head), maxReplyMsgs-len(rep.Msgs))
		if err != nil {
			return histReply{}, err
		}
		for _, r := range raws {
			if size+len(r) > replyBytes || len(rep.Msgs) >= maxReplyMsgs {
				return rep, nil
			}
			size += len(r)
			rep.Msgs = append(rep.Msgs, r)
		}
	}
	return rep, nil
}

func headList(hs map[peer.ID]uint64) []head {
	out := make([]head, 0, len(hs))
	for p, seq := range hs {
		out = append(out, head{Author: []byte(p), Seq: seq})
	}
	return out
}

// syncWith pulls from p what p has of a log and this node lacks: it
// compares heads, asks the missing ranges, stores what comes (checked as
// gossip is), and repeats until nothing is missing.
func (s *Service) syncWith(ctx context.Context, p peer.ID, wg, log string) error {
	if s.cut(p) {
		return errors.New("cut off (test)")
	}
	st, err := s.cfg.Host.NewStream(network.WithNoDial(ctx, "chat: history with a connected member"), p, p2p.ProtoHistory)
	if err != nil {
		return err
	}
	defer st.Close()
	// Reads wait on the peer: the stream is reset when ctx ends (Close).
	defer context.AfterFunc(ctx, func() { _ = st.Reset() })()
	rd := wire.NewReader(st, maxHistFrame)
	defer rd.Release()
	k := logKey{wg, log}
	for round := 0; round < histOps/2; round++ {
		_ = st.SetDeadline(time.Now().Add(30 * time.Second))
		progress, err := s.syncRound(ctx, st, rd, p, k)
		if err != nil || !progress {
			return err
		}
	}
	return nil
}

// syncRound runs one round of a sync of log k with p: heads, the missing
// ranges, storing what came. Rounds of one log run one at a time (a
// returning member syncs with every peer that joins the topic, up to
// syncWorkers at once): each asks only what the previous ones did not
// bring, instead of every peer sending, and this node verifying, the same
// messages.
func (s *Service) syncRound(ctx context.Context, st network.Stream, rd *wire.Reader, p peer.ID, k logKey) (bool, error) {
	mu := s.logLock(k)
	mu.Lock()
	defer mu.Unlock()
	wg, log := k.wg, k.log
	own, err := s.seen.snapshot(ctx, s, k)
	if err != nil {
		return false, err
	}
	s.work.syncRounds.Add(1)
	// This node's heads go along: the peer then knows whether it lacks
	// anything of this node's, and need not sync back (told.go).
	theirs, err := s.ask(st, rd, histReq{Op: opHeads, Workgroup: wg, Log: log, Heads: headList(own), Own: true})
	if err != nil {
		return false, err
	}
	// This node's heads once the peer's came: what the writer stored
	// meanwhile is not asked for (nor what is on its way: missingRanges).
	mine, err := s.seen.snapshot(ctx, s, k)
	if err != nil {
		return false, err
	}
	var held map[peer.ID][]uint64
	if s.anyAhead(k, mine, theirs.Heads) { // else nothing to ask: no query of chat_held
		held = s.heldSeqs(ctx, k)
	}
	ranges := s.missingRanges(k, mine, theirs.Heads, held)
	if len(ranges) == 0 {
		return false, nil
	}
	s.work.syncGets.Add(1)
	got, err := s.ask(st, rd, histReq{Op: opGet, Workgroup: wg, Log: log, Ranges: ranges})
	if err != nil {
		return false, err
	}
	s.work.fetched.Add(uint64(len(got.Msgs)))
	if len(got.Msgs) == 0 {
		return false, nil
	}
	ms, flying, err := s.checkFetched(ctx, k, got.Msgs)
	if err != nil {
		return false, fmt.Errorf("history from %s: %w", p, err)
	}
	s.work.synced.Add(uint64(len(ms)))
	progress := false
	for _, r := range s.acceptAll(ctx, ms, nil) {
		progress = progress || r == stored
	}
	for _, m := range flying {
		s.fly.remove(m)
	}
	return progress, nil
}

// missingRanges lists the ranges of log k this node lacks given a peer's
// heads: after its own head (or the messages right after it that are on
// their way to the store), leaving out those on their way (inflight.go)
// and those held here (heldSeqs: verified, waiting for a predecessor).
func (s *Service) missingRanges(k logKey, mine map[peer.ID]uint64, theirs []head, heldSeqs map[peer.ID][]uint64) []seqRange {
	var ranges []seqRange
	for _, h := range theirs {
		author := peer.ID(h.Author)
		have := s.fly.reach(k, author, mine[author])
		if h.Seq <= have {
			if have > mine[author] {
				s.work.syncSkipped.Add(1)
			}
			continue
		}
		rs, skipped := s.fly.missing(k, author, have+1, h.Seq, heldSeqs[author])
		if skipped > 0 || have > mine[author] {
			s.work.syncSkipped.Add(1)
		}
		ranges = append(ranges, rs...)
		if len(ranges) >= maxRanges {
			return ranges[:maxRanges]
		}
	}
	return ranges
}

// anyAhead reports whether a peer's heads of log k name a message after
// what this node holds or has on its way to the store: the only case in
// which missingRanges can list a range (and so needs heldSeqs). Most
// rounds (the syncs at a join, anti-entropy in a quiet room) find
// nothing, and then skip the query of chat_held.
func (s *Service) anyAhead(k logKey, mine map[peer.ID]uint64, theirs []head) bool {
	for _, h := range theirs {
		author := peer.ID(h.Author)
		if h.Seq > mine[author] && h.Seq > s.fly.reach(k, author, mine[author]) {
			return true
		}
	}
	return false
}

// heldSeqs lists the seqs held here in log k per author (a sync does not
// fetch and verify them again; under load many wait for one predecessor).
func (s *Service) heldSeqs(ctx context.Context, k logKey) map[peer.ID][]uint64 {
	s.work.syncHeld.Add(1)
	rows, err := s.db.QueryContext(ctx, `SELECT author, seq FROM chat_held WHERE workgroup=? AND log=?`, k.wg, k.log)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var out map[peer.ID][]uint64
	for rows.Next() {
		var author string
		var seq int64
		if rows.Scan(&author, &seq) != nil {
			return out
		}
		p, err := peer.Decode(author)
		if err != nil {
			continue
		}
		if out == nil {
			out = map[peer.ID][]uint64{}
		}
		out[p] = append(out[p], uint64(seq))
	}
	return out
}

// logLock is the lock of log k's sync rounds.
func (s *Service) logLock(k logKey) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.syncLocks == nil {
		s.syncLocks = map[logKey]*sync.Mutex{}
	}
	mu := s.syncLocks[k]
	if mu == nil {
		mu = &sync.Mutex{}
		s.syncLocks[k] = mu
	}
	return mu
}

// checkFetched parses and checks messages fetched for log k: those
// stored meanwhile or on their way to the store (gossip; inflight.go)
// are skipped unverified, the others kept if admissible (else e.g. an
// author no longer a member), recorded in flight before their signature
// is checked (so a gossip copy that comes meanwhile is not checked too;
// one failing signature drops the whole reply and its records), and
// verified on every core in batches (a returning member's catch-up is
// mostly verification: verifybatch.go). The caller removes the records
// returned (flying) once the messages were stored.
func (s *Service) checkFetched(ctx context.Context, k logKey, raws [][]byte) (ms, flying []*msg, err error) {
	var sigs []signed
	for _, raw := range raws {
		m, sm, err := parse(raw)
		s.work.decoded.Add(1)
		if err != nil {
			return nil, nil, err
		}
		if m.Workgroup == k.wg && m.logName() == k.log && (s.seen.stored(ctx, s, k, m) || s.fly.has(m)) {
			s.work.fetchedKnow.Add(1) // stored, or this very message on its way (gossip): no second check
			continue
		}
		if s.admissible(m, k) != nil {
			continue
		}
		if s.fly.add(m) {
			flying = append(flying, m)
		}
		ms, sigs = append(ms, m), append(sigs, sm)
	}
	for _, err := range s.verifyParallel(ms, sigs) {
		if err != nil {
			for _, m := range flying {
				s.fly.remove(m)
			}
			return nil, nil, err
		}
	}
	return ms, flying, nil
}

func (s *Service) ask(st network.Stream, rd *wire.Reader, req histReq) (histReply, error) {
	var rep histReply
	if err := wire.WriteFrame(st, req); err != nil {
		return rep, err
	}
	if err := rd.ReadFrame(&rep); err != nil {
		return rep, err
	}
	if rep.Err != "" {
		return rep, fmt.Errorf("refused: %s", rep.Err)
	}
	if len(rep.Heads) > maxHeads {
		return rep, errors.New("too many heads")
	}
	return rep, nil
}
