package spool

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/wire"
)

// The recipient's side of a live offer (op "live", see doc.go): the
// ciphertext of a large file copy arrives while its sender still seals
// it, in segments, and the signed envelope comes last. Nothing is stored
// as received, and no receipt signed, before that envelope verifies and
// the whole ciphertext matches its SHA-256: the same checks as an offer,
// made at the end instead of the start.

const (
	opLive      = "live"  // a large file copy streamed while it is sealed
	opLiveSeal  = "seal"  // ends a live offer: the signed envelope
	opLiveAbort = "abort" // ends a live offer: the sender's seal failed
	codeHeld    = "held"  // a live offer of a message this node holds: offer it instead
	maxSegment  = 1 << 20
)

// liveHeader opens a live offer: what the envelope will say, known
// before the ciphertext is complete. Max bounds the ciphertext's size.
type liveHeader struct {
	ID        []byte `cbor:"1,keyasint"`
	Workgroup string `cbor:"2,keyasint"`
	Kind      string `cbor:"3,keyasint"`
	Max       uint64 `cbor:"4,keyasint"`
}

// errSegEnd is the end marker of a live offer's segments (not a failure).
var errSegEnd = errors.New("end of live segments")

// segReader reads the ciphertext of a live offer: segments of a 4-byte
// big-endian length (1..maxSegment) and that many bytes, ended by a zero
// length, at most max bytes in all. It returns errSegEnd at the end.
type segReader struct {
	r     io.Reader
	left  uint32 // bytes left in the current segment
	total uint64
	max   uint64
	end   bool
}

func (s *segReader) Read(p []byte) (int, error) {
	if s.end {
		return 0, errSegEnd
	}
	if s.left == 0 {
		var h [4]byte
		if _, err := io.ReadFull(s.r, h[:]); err != nil {
			return 0, fmt.Errorf("live offer: segment length: %w", noEOF(err))
		}
		n := binary.BigEndian.Uint32(h[:])
		switch {
		case n == 0:
			s.end = true
			return 0, errSegEnd
		case n > maxSegment:
			return 0, fmt.Errorf("live offer: segment of %d bytes, limit %d", n, maxSegment)
		case s.total+uint64(n) > s.max:
			return 0, fmt.Errorf("live offer: more than the %d bytes announced", s.max)
		}
		s.left, s.total = n, s.total+uint64(n)
	}
	if uint64(len(p)) > uint64(s.left) {
		p = p[:s.left]
	}
	k, err := s.r.Read(p)
	s.left -= uint32(k)
	return k, noEOF(err)
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// checkLive checks a live offer's header from remote: a file copy larger
// than InlineMax, in a workgroup both belong to. It returns the envelope
// as far as it is known (no hash, Size = the bound) or the refusal.
func (s *Service) checkLive(remote peer.ID, h *liveHeader) (*Envelope, *wire.Error) {
	bad := func(format string, args ...any) (*Envelope, *wire.Error) {
		return nil, &wire.Error{Code: wire.CodeBadRequest, Message: "live offer: " + fmt.Sprintf(format, args...)}
	}
	switch {
	case h == nil:
		return bad("no header")
	case len(h.ID) != idLen:
		return bad("message ID is %d bytes, want %d", len(h.ID), idLen)
	case h.Kind != KindFile:
		return bad("kind %q (only file copies are offered live)", h.Kind)
	case h.Max <= InlineMax || h.Max > maxPayload:
		return bad("size bound %d out of range", h.Max)
	}
	if _, ok := s.dir.Self(h.Workgroup); !ok {
		return bad("this node is not in workgroup %q", h.Workgroup)
	}
	if _, ok := s.dir.Member(h.Workgroup, remote); !ok {
		return bad("%s is not a member of workgroup %q", remote, h.Workgroup)
	}
	return &Envelope{Version: EnvelopeVersion, ID: h.ID, Sender: []byte(remote), Recipient: []byte(s.self),
		Workgroup: h.Workgroup, Kind: h.Kind, Size: h.Max}, nil
}

// liveEnd is how a live offer ended, read after its segments.
type liveEnd struct {
	env      *Envelope
	envBytes []byte
	err      error // forged, rejected or malformed envelope; an abort
}

var errLiveAbort = errors.New("live offer aborted by the sender")

// readLiveEnd reads the frame after the segments: the signed envelope,
// which must say what the header said and that size bytes came. The
// error is a broken transfer (no frame could be read).
func (s *Service) readLiveEnd(r *wire.Reader, remote peer.ID, pre *Envelope, size uint64) (liveEnd, error) {
	var req deliverReq
	if err := r.ReadFrame(&req); err != nil {
		return liveEnd{}, fmt.Errorf("live offer: read envelope: %w", err)
	}
	switch req.Op {
	case opLiveAbort:
		return liveEnd{err: errLiveAbort}, nil
	case opLiveSeal:
	default:
		return liveEnd{err: fmt.Errorf("live offer: unexpected op %q after the ciphertext", req.Op)}, nil
	}
	env, err := s.checkOffered(remote, req.Envelope)
	if err != nil {
		return liveEnd{env: env, envBytes: req.Envelope, err: err}, nil
	}
	if !bytes.Equal(env.ID, pre.ID) || env.Workgroup != pre.Workgroup || env.Kind != pre.Kind || env.Size != size {
		return liveEnd{err: fmt.Errorf("live offer: the envelope (ID %s, %s, %d bytes) is not what was announced and sent (ID %s, %s, %d bytes)",
			env.IDString(), env.Workgroup, env.Size, pre.IDString(), pre.Workgroup, size)}, nil
	}
	return liveEnd{env: env, envBytes: req.Envelope}, nil
}

// serveLive handles a live offer; false means the stream is no longer
// usable (reset: a forged envelope, or the transfer broke).
func (s *Service) serveLive(ctx context.Context, st network.Stream, r *wire.Reader, remote peer.ID, h *liveHeader) bool {
	pre, werr := s.checkLive(remote, h)
	if werr != nil {
		return wire.WriteFrame(st, &deliverReply{Err: werr}) == nil
	}
	key := inKey(pre)
	if !s.lock(key) {
		return wire.WriteFrame(st, &deliverReply{Err: &wire.Error{Code: codeBusy, Message: "message is being received on another stream"}}) == nil
	}
	defer s.unlock(key)
	if s.holds(ctx, pre) {
		return wire.WriteFrame(st, &deliverReply{Err: &wire.Error{Code: codeHeld, Message: "message already held: offer it"}}) == nil
	}
	if werr := s.roomForOffer(remote, key, pre, 0); werr != nil {
		return wire.WriteFrame(st, &deliverReply{Err: werr}) == nil
	}
	if err := wire.WriteFrame(st, &deliverReply{}); err != nil {
		return false
	}
	res, err := s.receiveLive(r, remote, key, pre)
	if err != nil {
		s.log.Info("live offer: transfer interrupted", "peer", remote, "id", pre.IDString(), "err", err)
		return false
	}
	defer s.dropLive(key, res)
	end := res.end
	if end.err != nil {
		if errors.Is(end.err, errLiveAbort) {
			return true
		}
		rep := s.refusal(remote, end.env, end.err)
		return rep != nil && wire.WriteFrame(st, rep) == nil
	}
	if res.hashErr != nil {
		return wire.WriteFrame(st, s.finishIncoming(ctx, remote, end.env, end.envBytes, sealed{}, res.hashErr)) == nil
	}
	if res.hdr != nil {
		rec, err := s.storeReceived(ctx, end.env, end.envBytes, key, res.sl, res.hdr, res.stage, "")
		res.stage = "" // stored, or removed by storeReceived
		if err != nil {
			s.log.Error("store message", "id", end.env.IDString(), "err", err)
			return wire.WriteFrame(st, &deliverReply{Err: &wire.Error{Code: wire.CodeInternal, Message: "could not store the message"}}) == nil
		}
		return wire.WriteFrame(st, &deliverReply{Receipt: rec}) == nil
	}
	return wire.WriteFrame(st, s.finishIncoming(ctx, remote, end.env, end.envBytes, res.sl, nil)) == nil
}

// holds reports whether the inbox holds a message from env's sender
// under its ID.
func (s *Service) holds(ctx context.Context, env *Envelope) bool {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM spool_inbox WHERE sender=? AND id=?`, env.SenderID().String(), env.IDString()).Scan(&n)
	return err == nil && n > 0
}

// liveResult is a received live offer: its end, the ciphertext (partial
// file f, open) with its hash checked against the envelope's, and the
// staged copy when the payload was staged.
type liveResult struct {
	end     liveEnd
	f       *os.File
	sl      sealed
	hashErr error
	hdr     *PayloadHeader
	stage   string
}

// receiveLive receives a live offer's segments into the partial file key
// (from the start), hashing and staging them as they come, then reads
// the envelope. An error means the transfer broke (the partial file
// stays for a later ordinary offer to resume).
func (s *Service) receiveLive(r *wire.Reader, remote peer.ID, key string, pre *Envelope) (*liveResult, error) {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	stage := pre.IDString() + "-" + hex.EncodeToString(rnd[:])
	if err := os.MkdirAll(filepath.Join(s.spool.root, "plain"), 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	f, err := os.OpenFile(s.spool.partial(key), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	stg := startStager(s.spool.plainDir(stage), s.id.Age)
	h := newAsyncHash()
	n, err := receiveShared(f, h, stg.p, &segReader{r: r, max: pre.Size}, int64(pre.Size)+1)
	sum := h.Sum()
	if errors.Is(err, errSegEnd) && s.cfg.liveReceived != nil {
		err = s.cfg.liveReceived(key)
	}
	if !errors.Is(err, errSegEnd) {
		stg.finish()
		f.Close()
		if err == nil {
			err = errors.New("live offer: no end marker")
		}
		return nil, err
	}
	hdr, serr := stg.finish()
	end, err := s.readLiveEnd(r, remote, pre, uint64(n))
	if err != nil {
		f.Close()
		os.RemoveAll(s.spool.plainDir(stage))
		return nil, err
	}
	res := &liveResult{end: end, f: f, sl: sealed{hash: sum, size: uint64(n)}, stage: stage}
	if serr != nil {
		res.stage = "" // removed by finish
	}
	if res.end.err != nil {
		return res, nil
	}
	if !bytes.Equal(sum, res.end.env.Hash) {
		res.hashErr = errHashMismatch
		return res, nil
	}
	if serr == nil {
		res.hdr = hdr
		return res, nil
	}
	if !errors.Is(serr, errNotStaged) {
		s.log.Debug("not staged; kept as ciphertext", "id", pre.IDString(), "err", serr)
	}
	if err := s.spool.commit(f, hex.EncodeToString(sum)); err != nil {
		res.f = nil
		return nil, err
	}
	res.f = nil
	return res, nil
}

// dropLive removes what a finished live offer left: the staged folder
// unless stored, the partial file unless its ciphertext was committed
// into the spool (then the file is gone already) or the transfer broke.
func (s *Service) dropLive(key string, res *liveResult) {
	if res.f != nil {
		res.f.Close()
	}
	if res.stage != "" {
		os.RemoveAll(s.spool.plainDir(res.stage))
	}
	if res.f != nil || res.end.err != nil || res.hashErr != nil {
		os.Remove(s.spool.partial(key))
	}
}
