package share

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/wire"
)

// Batches: many small files on one stream (op "batch", see doc.go).
// A folder of small files used to cost one stream per file (open,
// request, header, trailer, close) and one reply flush per frame; a
// batch carries up to batchFiles files, its replies go out in few
// writes, and the sharing node syncs each folder it wrote into once per
// batchAckEvery files instead of never.
const (
	// batchMaxFile is the largest file a batch carries. It is under
	// recordMin: a batched upload is never recorded or resumed (a failed
	// one is removed, as a small single upload is).
	batchMaxFile = 256 << 10
	// batchFiles is how many files a client puts in one batch.
	batchFiles = 32
	// batchAckEvery is how many committed uploads the sharing node
	// acknowledges at once (after one fsync of each folder they are in).
	batchAckEvery = 16
	// batchWriteBuf buffers the sharing node's replies.
	batchWriteBuf = 64 << 10
	// batchMemory is what a batch stream reserves: one file and the
	// reply buffer.
	batchMemory = batchMaxFile + batchWriteBuf
)

// batchBufs holds the file buffers of batches (one each, batchMaxFile).
var batchBufs = sync.Pool{New: func() any { b := make([]byte, batchMaxFile); return &b }}

// DecodeBatchItem decodes and checks one item of a batch (a read or a
// write request without a share: it inherits the batch's). It is a
// decoder of untrusted bytes, like DecodeRequest.
func DecodeBatchItem(b []byte, share string) (Request, error) {
	var r Request
	if len(b) > maxReqSize {
		return r, fmt.Errorf("batch item is %d bytes, limit %d", len(b), maxReqSize)
	}
	if err := wire.Unmarshal(b, &r); err != nil {
		return r, err
	}
	if r.Op != OpRead && r.Op != OpWrite {
		return r, fmt.Errorf("operation %q in a batch", r.Op)
	}
	if r.Share != "" || r.Offset != 0 || r.Length != 0 || r.Resume || r.HashAll {
		return r, fmt.Errorf("a batch item names no share, range or resume")
	}
	if r.Size > batchMaxFile {
		return r, fmt.Errorf("batch item of %d bytes, limit %d", r.Size, batchMaxFile)
	}
	r.Share = share
	r, err := checkRequest(r)
	if err == nil && r.Path == "." {
		err = fmt.Errorf("%w: a batch item names a file", ErrBadPath)
	}
	return r, err
}

// batchServer serves one batch stream.
type batchServer struct {
	s       *Service
	st      network.Stream
	rd      *wire.Reader
	l       *Local
	cfg     Config
	right   Right
	algo    Hash
	bw      *bufio.Writer
	buf     []byte
	dirs    *batchDirs      // the folders' roots
	pending []Reply         // upload replies waiting for their folders' fsync
	written map[string]bool // folders written into since the last fsync
}

// serveBatch answers Reply{Hash}, then serves items until the client
// closes its side; see doc.go for the wire format.
func (s *Service) serveBatch(st network.Stream, rd *wire.Reader, l *Local, cfg Config, right Right, req Request) error {
	if err := st.Scope().ReserveMemory(batchMemory, network.ReservationPriorityMedium); err != nil {
		return s.fail(st, errBusy)
	}
	defer st.Scope().ReleaseMemory(batchMemory)
	b := &batchServer{s: s, st: st, rd: rd, l: l, cfg: cfg, right: right, algo: s.negotiate(req.Hash),
		bw: bufio.NewWriterSize(&idleWriter{st: st}, batchWriteBuf), dirs: newBatchDirs(l), written: map[string]bool{}}
	defer b.dirs.close()
	bp := batchBufs.Get().(*[]byte)
	defer batchBufs.Put(bp)
	b.buf = *bp
	if err := b.send(Reply{Hash: b.algo}); err != nil {
		return err
	}
	if err := b.bw.Flush(); err != nil {
		return err
	}
	for {
		_ = st.SetReadDeadline(time.Now().Add(idleTimeout))
		body, err := rd.ReadFrameBytes()
		if errors.Is(err, io.EOF) {
			return b.flush()
		}
		if err != nil {
			_ = st.Reset()
			return err
		}
		it, err := DecodeBatchItem(body, cfg.Name)
		if err != nil {
			// What follows cannot be skipped safely: answer and end.
			_ = b.flush()
			_ = b.send(Reply{Err: &wire.Error{Code: wire.CodeBadRequest, Message: err.Error()}})
			return errors.Join(err, b.bw.Flush())
		}
		s.batched.Add(1)
		if it.Op == OpRead {
			err = b.read(it)
		} else {
			err = b.write(it)
		}
		if err != nil {
			_ = st.Reset()
			return err
		}
	}
}

func (b *batchServer) send(r Reply) error { return wire.WriteFrame(b.bw, r) }

// read sends one file: Reply{Entry, Length}, Length raw bytes,
// Reply{Sum, Changed}; or Reply{Err}. Replies of uploads before it go
// out first (they stay in order).
func (b *batchServer) read(it Request) error {
	if err := b.flush(); err != nil {
		return err
	}
	f, e, err := b.dirs.open(it.Path)
	if err != nil {
		return b.send(Reply{Err: toWire(err)})
	}
	defer f.Close()
	if e.Size > batchMaxFile {
		return b.send(Reply{Err: &wire.Error{Code: wire.CodeBadRequest, Message: it.Path + " is too large for a batch"}})
	}
	before, err := f.Stat()
	if err != nil {
		return b.send(Reply{Err: toWire(err)})
	}
	n, err := io.ReadFull(f, b.buf[:e.Size])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return b.send(Reply{Err: toWire(err)})
	}
	after, err := f.Stat()
	changed := err != nil || n != int(e.Size) || after.Size() != e.Size || after.ModTime().UnixNano() != e.Mtime || !sameVersion(before, after)
	h := b.algo.New()
	h.Write(b.buf[:n])
	if err := b.send(Reply{Entry: &e, Length: int64(n)}); err != nil {
		return err
	}
	if _, err := b.bw.Write(b.buf[:n]); err != nil {
		return err
	}
	return b.send(Reply{Sum: h.Sum(nil), Changed: changed})
}

// write receives one upload: Size raw bytes and a Trailer, always read
// whole (the stream stays in step whatever is refused), then the file is
// written to its temporary name, fdatasync'd and renamed into place. Its
// reply waits for the fsync of its folder (flush).
func (b *batchServer) write(it Request) error {
	_ = b.st.SetReadDeadline(time.Now().Add(idleTimeout))
	data := b.buf[:it.Size]
	if _, err := io.ReadFull(b.rd, data); err != nil {
		return fmt.Errorf("batch upload %s: %w", it.Path, err)
	}
	var tr Trailer
	if err := b.rd.ReadFrame(&tr); err != nil {
		return fmt.Errorf("batch upload %s trailer: %w", it.Path, err)
	}
	e, err := b.commit(it, data, tr)
	if err != nil {
		b.pending = append(b.pending, Reply{Err: toWire(err)})
	} else {
		b.pending = append(b.pending, Reply{Entry: &e})
		b.written[path.Dir(it.Path)] = true
	}
	if len(b.pending) >= batchAckEvery {
		return b.flush()
	}
	return nil
}

// commit checks an upload and puts it in place (temporary file,
// fdatasync, mtime, rename), like serveWrite.
func (b *batchServer) commit(it Request, data []byte, tr Trailer) (Entry, error) {
	if !b.right.CanWrite() {
		return Entry{}, fmt.Errorf("%w: share %q is read-only for you", ErrForbidden, b.cfg.Name)
	}
	if tr.Abort != "" {
		return Entry{}, fmt.Errorf("%w: %s", ErrChanged, tr.Abort)
	}
	h := b.algo.New()
	h.Write(data)
	if string(h.Sum(nil)) != string(tr.Sum) {
		return Entry{}, fmt.Errorf("%w (%s)", ErrCorrupt, it.Path)
	}
	key := b.cfg.Name + "\x00" + partName(it.Path, it.Size, it.Mtime)
	if _, busy := b.s.uploads.LoadOrStore(key, true); busy {
		return Entry{}, &wire.Error{Code: codeBusy, Message: "an upload of " + it.Path + " is already running; retry later"}
	}
	defer b.s.uploads.Delete(key)
	return b.dirs.place(it.Path, data, it.Mtime)
}

// flush syncs the folders written into, then sends the replies that
// waited for it and everything buffered. An upload is acknowledged only
// once its file and its folder entry are durable; a folder that fails
// to sync turns its uploads' replies into errors (the client sends them
// again).
func (b *batchServer) flush() error {
	var failed map[string]error
	for d := range b.written {
		if err := b.dirs.sync(d); err != nil {
			if failed == nil {
				failed = map[string]error{}
			}
			failed[d] = err
		}
	}
	clear(b.written)
	for _, r := range b.pending {
		if r.Entry != nil && failed != nil {
			// The reply does not carry the folder: fail every upload of
			// this flush (rare; the client resends them).
			for _, err := range failed {
				r = Reply{Err: toWire(fmt.Errorf("sync folder: %w", err))}
				break
			}
		}
		if err := b.send(r); err != nil {
			return err
		}
	}
	b.pending = b.pending[:0]
	return b.bw.Flush()
}
