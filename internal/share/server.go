package share

import (
	"context"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/wire"
)

// handle serves one /peerhood/files/1 stream (already past
// workgroup.Guard): one request, its reply, then the stream closes.
// It is the service's work (s.bg.Add): Close resets its stream, so it
// ends with the request at hand, and waits for it; a stream that arrives
// once Close began is reset unread.
func (s *Service) handle(st network.Stream) {
	if !s.bg.Add() {
		_ = st.Reset()
		return
	}
	defer s.bg.Done()
	defer st.Close()
	defer context.AfterFunc(s.life, func() { _ = st.Reset() })()
	_ = st.SetReadDeadline(time.Now().Add(30 * time.Second))
	rd := wire.NewReader(st, maxReqSize)
	body, err := rd.ReadFrameBytes()
	if err != nil {
		_ = st.Reset()
		return
	}
	req, err := DecodeRequest(body)
	if err != nil {
		s.reply(st, Reply{Err: &wire.Error{Code: wire.CodeBadRequest, Message: err.Error()}})
		return
	}
	if req.Op == OpBatch && s.noBatch.Load() {
		s.reply(st, Reply{Err: &wire.Error{Code: wire.CodeBadRequest, Message: fmt.Sprintf("unknown operation %q", req.Op)}})
		return
	}
	_ = st.SetReadDeadline(time.Time{})
	if err := s.serve(st, rd, st.Conn().RemotePeer(), req); err != nil {
		s.log.Debug("files request failed", "peer", st.Conn().RemotePeer(), "op", req.Op, "err", err)
	}
}

func (s *Service) reply(st network.Stream, r Reply) {
	_ = st.SetWriteDeadline(time.Now().Add(30 * time.Second))
	_ = wire.WriteFrame(st, r)
	_ = st.SetWriteDeadline(time.Time{})
}

func (s *Service) fail(st network.Stream, err error) error {
	s.reply(st, Reply{Err: toWire(err)})
	return err
}

// access finds the share req names and the caller's right on it. A share
// the caller may not see is reported as not found, like one that does
// not exist.
func (s *Service) access(ctx context.Context, p peer.ID, name string) (Config, Right, error) {
	cfg, err := s.configs.Get(ctx, name)
	if err != nil {
		return Config{}, None, fmt.Errorf("%w: no share %q", ErrNotFound, name)
	}
	m, ok := s.dir.Member(cfg.Workgroup, p)
	if !ok {
		return Config{}, None, fmt.Errorf("%w: no share %q", ErrNotFound, name)
	}
	r := RightOf(cfg.Rules, m)
	if !r.CanRead() {
		return Config{}, None, fmt.Errorf("%w: no share %q", ErrNotFound, name)
	}
	return cfg, r, nil
}

func (s *Service) serve(st network.Stream, rd *wire.Reader, p peer.ID, req Request) error {
	ctx, cancel := context.WithCancel(s.life)
	defer cancel()
	if req.Op == OpShares {
		list, err := s.sharesFor(ctx, p)
		if err != nil {
			return s.fail(st, err)
		}
		s.reply(st, Reply{Shares: list})
		return nil
	}
	cfg, right, err := s.access(ctx, p, req.Share)
	if err != nil {
		return s.fail(st, err)
	}
	switch req.Op {
	case OpWrite, OpMkdir, OpRemove, OpRename:
		if !right.CanWrite() {
			return s.fail(st, fmt.Errorf("%w: share %q is read-only for you", ErrForbidden, cfg.Name))
		}
	}
	l, err := OpenLocal(cfg.Path)
	if err != nil {
		return s.fail(st, fmt.Errorf("share %q is unavailable on its node", cfg.Name))
	}
	defer l.Close()
	switch req.Op {
	case OpStat:
		e, err := l.Stat(req.Path)
		if err != nil {
			return s.fail(st, err)
		}
		s.reply(st, Reply{Entry: &e})
	case OpReadDir:
		return s.serveReadDir(st, l, req)
	case OpRead:
		return s.serveRead(st, l, req)
	case OpBatch:
		return s.serveBatch(st, rd, l, cfg, right, req)
	case OpWrite:
		// One upload per file version at a time: a second one would
		// write into the same partial file.
		key := cfg.Name + "\x00" + partName(req.Path, req.Size, req.Mtime)
		if _, busy := s.uploads.LoadOrStore(key, true); busy {
			return s.fail(st, &wire.Error{Code: codeBusy, Message: "an upload of " + req.Path + " is already running; retry later"})
		}
		defer s.uploads.Delete(key)
		return s.serveWrite(st, rd, l, cfg.Name, req)
	case OpMkdir:
		if err := l.Mkdir(req.Path); err != nil {
			return s.fail(st, err)
		}
		s.reply(st, Reply{})
	case OpRemove:
		if err := l.Remove(req.Path, req.Recursive); err != nil {
			return s.fail(st, err)
		}
		s.reply(st, Reply{})
	case OpRename:
		if err := l.Rename(req.Path, req.To); err != nil {
			return s.fail(st, err)
		}
		s.reply(st, Reply{})
	}
	return nil
}

// serveReadDir sends a folder's entries in batches of dirBatch, then an
// empty reply.
func (s *Service) serveReadDir(st network.Stream, l *Local, req Request) error {
	// A batch waits in memory while the peer reads the one before.
	if err := st.Scope().ReserveMemory(dirBatchMemory, network.ReservationPriorityHigh); err != nil {
		return s.fail(st, errBusy)
	}
	defer st.Scope().ReleaseMemory(dirBatchMemory)
	sent := false
	err := l.ReadDir(req.Path, dirBatch, func(es []Entry) error {
		sent = true
		return wire.WriteFrame(st, Reply{Entries: es, More: true})
	})
	if err != nil {
		if sent {
			_ = st.Reset()
			return err
		}
		return s.fail(st, err)
	}
	s.reply(st, Reply{})
	return nil
}

// serveRead sends a header {Entry, Offset, Length, Hash}, Length raw
// bytes, and a trailer {Sum, Changed}. The digest (in the algorithm the
// header names, see Hash) covers the bytes sent, or with HashAll the
// file from byte 0 (the prefix is read and hashed first). When the whole
// file's digest is wanted and remembered for this version of the file
// (see Digests), the file is sent without hashing it again.
func (s *Service) serveRead(st network.Stream, l *Local, req Request) error {
	f, e, err := l.Open(req.Path)
	if err != nil {
		return s.fail(st, err)
	}
	defer f.Close()
	if req.Offset > e.Size {
		return s.fail(st, fmt.Errorf("%w: offset %d beyond the end (%d bytes)", ErrBadPath, req.Offset, e.Size))
	}
	n := e.Size - req.Offset
	if req.Length > 0 && req.Length < n {
		n = req.Length
	}
	before, err := f.Stat()
	if err != nil {
		return s.fail(st, err)
	}
	ctx := context.Background()
	algo := s.negotiate(req.Hash)
	whole := req.Offset+n == e.Size && (req.Offset == 0 || req.HashAll)
	var sum []byte
	if whole && !req.NoCache {
		sum, _ = s.digests.Lookup(ctx, algo, before)
	}
	var h hash.Hash
	if sum == nil {
		h = algo.New()
		if req.HashAll && req.Offset > 0 {
			if _, err := io.CopyBuffer(h, io.NewSectionReader(f, 0, req.Offset), make([]byte, bufSize)); err != nil {
				return s.fail(st, err)
			}
		}
	}
	shape, release, ok := reserveBuffers(st, n)
	if !ok {
		return s.fail(st, errBusy)
	}
	defer release()
	s.reply(st, Reply{Entry: &e, Offset: req.Offset, Length: n, Hash: algo})
	sent, err := sendFile(shape, &idleWriter{st: st}, f, req.Offset, n, h, nil)
	if err != nil || sent != n {
		_ = st.Reset()
		return fmt.Errorf("send %s: %d of %d bytes: %w", req.Path, sent, n, err)
	}
	after, err := f.Stat()
	changed := err != nil || after.Size() != e.Size || after.ModTime().UnixNano() != e.Mtime || !sameVersion(before, after)
	if h != nil {
		sum = h.Sum(nil)
		if whole && !changed {
			s.digests.Remember(ctx, algo, before, sum)
		}
	}
	return wire.WriteFrame(st, Reply{Sum: sum, Changed: changed})
}

// serveWrite receives an upload into a temporary file of the share:
// header reply {Offset, Hash} (where to resume, which digest), then
// Size-Offset raw bytes, then a Trailer with the whole file's digest,
// checked before the fsync'd temporary file is renamed into place; the
// final reply carries the new Entry.
func (s *Service) serveWrite(st network.Stream, rd *wire.Reader, l *Local, shareName string, req Request) error {
	part, err := l.CreatePartial(req.Path, req.Size, req.Mtime, req.Resume)
	if err != nil {
		return s.fail(st, err)
	}
	up := s.trackUpload(shareName, part, req.Size)
	defer up.done()
	algo := s.negotiate(req.Hash)
	h := algo.New()
	if err := hashPrefix(h, part.File(), part.Offset); err != nil {
		part.Discard()
		return s.fail(st, err)
	}
	want := req.Size - part.Offset
	shape, release, ok := reserveBuffers(st, want)
	if !ok {
		up.keep()
		return s.fail(st, errBusy)
	}
	defer release()
	s.reply(st, Reply{Offset: part.Offset, Hash: algo})
	fw := &fileWriter{f: part.File(), off: part.Offset, flushed: part.Offset}
	got, err := copyShaped(shape, fw, io.LimitReader(&idleReader{r: rd, st: st}, want), h, nil)
	if err == nil && got != want {
		err = fmt.Errorf("upload ended after %d of %d bytes: %w", got, want, io.ErrUnexpectedEOF)
	}
	if err != nil {
		var we *wire.Error
		if w := toWire(err); w.Code == wire.CodeNoSpace {
			part.Discard()
			we = w
		} else {
			up.keep() // resumable
			we = &wire.Error{Code: wire.CodeInternal, Message: err.Error()}
		}
		s.reply(st, Reply{Err: we})
		_ = st.CloseRead()
		return err
	}
	var tr Trailer
	if err := rd.ReadFrame(&tr); err != nil {
		up.keep()
		_ = st.Reset()
		return err
	}
	if tr.Abort != "" {
		part.Discard()
		return s.fail(st, fmt.Errorf("%w: %s", ErrChanged, tr.Abort))
	}
	if sum := h.Sum(nil); string(sum) != string(tr.Sum) {
		part.Discard()
		return s.fail(st, fmt.Errorf("%w (%s)", ErrCorrupt, req.Path))
	}
	e, err := part.Commit()
	if err != nil {
		_ = l.root.Remove(part.name)
		return s.fail(st, err)
	}
	s.digests.Remember(context.Background(), algo, part.Info(), tr.Sum)
	up.settle() // before the reply: the uploader sees a settled state
	s.reply(st, Reply{Entry: &e})
	return nil
}

// errBusy refuses a transfer when the peer already holds as much of
// this node's memory as it may (see reserveBuffers).
var errBusy = &wire.Error{Code: codeBusy, Message: "too many transfers from this member at once; retry later"}
