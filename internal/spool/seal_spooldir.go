package spool

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// spoolDir is the folder of ciphertexts named by SHA-256, with partial
// transfers in partial/ and files being written in tmp/.
type spoolDir struct{ root string }

func openSpoolDir(root string) (*spoolDir, error) {
	for _, d := range []string{root, filepath.Join(root, "partial"), filepath.Join(root, "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("spool folder: %w", err)
		}
	}
	// Files being sealed when the node stopped are of no use.
	tmps, _ := filepath.Glob(filepath.Join(root, "tmp", "*"))
	for _, t := range tmps {
		os.Remove(t)
	}
	return &spoolDir{root: root}, nil
}

func (d *spoolDir) path(hash string) string { return filepath.Join(d.root, hash) }

func (d *spoolDir) partial(name string) string { return filepath.Join(d.root, "partial", name) }

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be fsynced there; renames are durable with the file
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// commit fsyncs f, closes it and moves it to its content-hash name.
func (d *spoolDir) commit(f *os.File, hash string) error {
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("spool: fsync: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("spool: close: %w", err)
	}
	if err := os.Rename(f.Name(), d.path(hash)); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return syncDir(d.root)
}

// spillWriter keeps what is written in memory up to InlineMax bytes and
// spills to a temporary spool file beyond. It hashes everything: the
// bytes it holds in memory when done, a spilled file as it is written (on
// a goroutine of its own). Once spilled it gathers writes into buffers of
// pipeBuf bytes, writes each to the file and hands it to the hasher (no
// bufio in front of it: that would copy every byte once more).
type spillWriter struct {
	d    *spoolDir
	buf  bytes.Buffer
	f    *os.File
	h    *asyncHash // once spilled
	cur  *refBuf    // being filled, once spilled
	size uint64
	tap  *liveTap // a live offer reading the file as it is written
	wb   behind   // write-behind of the file (writeback.go)
}

func newSpillWriter(d *spoolDir) *spillWriter { return &spillWriter{d: d} }

func (w *spillWriter) Write(p []byte) (int, error) {
	w.size += uint64(len(p))
	if w.f == nil && w.buf.Len()+len(p) <= InlineMax {
		return w.buf.Write(p)
	}
	if w.f == nil {
		if err := w.spill(); err != nil {
			return 0, err
		}
	}
	if err := w.gather(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// spill moves to a temporary spool file (opened for the tap too).
func (w *spillWriter) spill() error {
	f, err := os.CreateTemp(filepath.Join(w.d.root, "tmp"), "seal-*")
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	w.f, w.h = f, newAsyncHash()
	if w.tap != nil {
		if err := w.tap.opened(f.Name()); err != nil {
			return err
		}
	}
	held := w.buf.Bytes()
	w.buf = bytes.Buffer{}
	return w.gather(held)
}

// gather appends p to the buffers, flushing each one filled.
func (w *spillWriter) gather(p []byte) error {
	for len(p) > 0 {
		if w.cur == nil {
			w.cur = w.h.free.get()
		}
		n := min(len(p), cap(w.cur.b)-len(w.cur.b))
		w.cur.b = append(w.cur.b, p[:n]...)
		p = p[n:]
		if len(w.cur.b) == cap(w.cur.b) {
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush writes the buffer being filled to the file and hands it to the
// hasher.
func (w *spillWriter) flush() error {
	r := w.cur
	if r == nil {
		return nil
	}
	w.cur = nil
	if _, err := w.f.Write(r.b); err != nil {
		r.release()
		return fmt.Errorf("spool: %w", err)
	}
	w.wb.wrote(w.f, len(r.b))
	if w.tap != nil {
		w.tap.wrote(len(r.b))
	}
	w.h.share(r)
	return nil
}

// sealed is a finished ciphertext: inline bytes, or a spool file.
type sealed struct {
	inline []byte // nil when spooled
	hash   []byte
	size   uint64
}

func (w *spillWriter) finish() (sealed, error) {
	if w.f == nil {
		sum := sha256.Sum256(w.buf.Bytes())
		return sealed{inline: bytes.Clone(w.buf.Bytes()), hash: sum[:], size: w.size}, nil
	}
	if err := w.flush(); err != nil {
		w.abort()
		return sealed{}, err
	}
	if w.tap != nil {
		w.tap.end(true) // every byte is in the file (the offer waits for the job)
	}
	sum := w.h.Sum()
	if err := w.d.commit(w.f, hex.EncodeToString(sum)); err != nil {
		os.Remove(w.f.Name())
		return sealed{}, err
	}
	return sealed{hash: sum, size: w.size}, nil
}

func (w *spillWriter) abort() {
	if w.tap != nil {
		w.tap.end(false)
	}
	if w.cur != nil {
		w.cur.release()
		w.cur = nil
	}
	if w.f != nil {
		w.h.Sum()
		w.f.Close()
		os.Remove(w.f.Name())
	}
}

// openCiphertext opens a stored ciphertext at offset.
func (d *spoolDir) open(inline []byte, hash string, offset uint64) (io.ReadCloser, error) {
	if inline != nil {
		if offset > uint64(len(inline)) {
			offset = uint64(len(inline))
		}
		return io.NopCloser(bytes.NewReader(inline[offset:])), nil
	}
	f, err := os.Open(d.path(hash))
	if err != nil {
		return nil, fmt.Errorf("spool file %s: %w", hash, err)
	}
	if _, err := f.Seek(int64(offset), io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// receive reads size bytes of ciphertext from r into inline memory (small)
// or into the partial file name (large, resuming from what it holds) and
// checks the hash. The returned sealed is committed (spool file in place).
func (d *spoolDir) receive(r io.Reader, name string, offset, size uint64, want []byte) (sealed, error) {
	if size <= InlineMax {
		buf := make([]byte, size)
		if _, err := io.ReadFull(r, buf); err != nil {
			return sealed{}, fmt.Errorf("receive: %w", err)
		}
		sum := sha256.Sum256(buf)
		if !bytes.Equal(sum[:], want) {
			return sealed{}, errHashMismatch
		}
		return sealed{inline: buf, hash: sum[:], size: size}, nil
	}
	f, sum, err := d.receiveFile(r, name, offset, size, want, nil)
	if err != nil {
		return sealed{}, err
	}
	if err := d.commit(f, hex.EncodeToString(sum)); err != nil {
		return sealed{}, err
	}
	return sealed{hash: sum, size: size}, nil
}

// receiveFile receives a large ciphertext into the partial file name,
// resuming from offset, and checks its hash; the file is returned open and
// not yet fsynced. tee, when set, is given the whole ciphertext in order
// (what the partial file held first).
func (d *spoolDir) receiveFile(r io.Reader, name string, offset, size uint64, want []byte, tee *chanPipe) (*os.File, []byte, error) {
	p := d.partial(name)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("spool: %w", err)
	}
	h := newAsyncHash()
	var w io.Writer = h
	if tee != nil {
		w = io.MultiWriter(h, tee)
	}
	have, err := io.Copy(w, io.LimitReader(f, int64(offset)))
	if err != nil || uint64(have) != offset {
		h.Sum()
		f.Close()
		return nil, nil, fmt.Errorf("spool: partial %s holds %d bytes, expected %d: %v", name, have, offset, err)
	}
	if err := f.Truncate(int64(offset)); err != nil {
		h.Sum()
		f.Close()
		return nil, nil, fmt.Errorf("spool: %w", err)
	}
	if _, err := f.Seek(int64(offset), io.SeekStart); err != nil {
		h.Sum()
		f.Close()
		return nil, nil, fmt.Errorf("spool: %w", err)
	}
	n, err := receiveShared(f, h, tee, r, int64(size-offset))
	if err == nil && uint64(n) != size-offset {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		h.Sum()
		f.Close()
		return nil, nil, fmt.Errorf("receive: %w", err)
	}
	sum := h.Sum()
	if !bytes.Equal(sum, want) {
		f.Close()
		os.Remove(p)
		return nil, nil, errHashMismatch
	}
	return f, sum, nil
}

// receiveShared copies n bytes from r to f in writes of pipeBuf bytes
// (the last one shorter), whatever sizes r's reads return: fewer, larger
// file writes than a network stream's small reads would make. Each buffer
// is then handed, not copied, to the hasher h and to tee when set.
func receiveShared(f *os.File, h *asyncHash, tee *chanPipe, r io.Reader, n int64) (int64, error) {
	var done int64
	for done < n {
		rb := h.free.get()
		k, err := io.ReadFull(r, rb.b[:min(int64(cap(rb.b)), n-done)])
		rb.b = rb.b[:k]
		if k > 0 {
			if _, werr := f.Write(rb.b); werr != nil {
				rb.release()
				return done, werr
			}
			done += int64(k)
			if tee != nil {
				rb.refs.Add(1)
				tee.share(rb)
			}
			h.share(rb) // hands over the reference get gave
		} else {
			rb.release()
		}
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// partialSize is how many bytes of a transfer are already held.
func (d *spoolDir) partialSize(name string, size uint64) uint64 {
	if size <= InlineMax {
		return 0
	}
	fi, err := os.Stat(d.partial(name))
	if err != nil || uint64(fi.Size()) > size {
		return 0
	}
	return uint64(fi.Size())
}

var errHashMismatch = errors.New("ciphertext does not match the signed SHA-256 (tampered or corrupted)")

// asyncHash hashes what is written to it on its own goroutine, so hashing
// a large ciphertext overlaps with encrypting, sending or writing it.
type asyncHash struct {
	ch   chan *refBuf
	done chan struct{}
	h    hash.Hash
	free bufList
	sum  []byte
}

func newAsyncHash() *asyncHash {
	a := &asyncHash{ch: make(chan *refBuf, pipeBufs), done: make(chan struct{}), h: sha256.New(), free: newBufList()}
	go func() {
		defer close(a.done)
		for r := range a.ch {
			a.h.Write(r.b)
			r.release()
		}
	}()
	return a
}

// Write hands p to the hashing goroutine (copied); only one goroutine
// may write or share.
func (a *asyncHash) Write(p []byte) (int, error) { return a.free.send(a.ch, p), nil }

// share hands r to the hashing goroutine, which releases it once hashed;
// the caller must hold a reference for it.
func (a *asyncHash) share(r *refBuf) { a.ch <- r }

// Sum stops the hasher and returns the digest (idempotent).
func (a *asyncHash) Sum() []byte {
	if a.sum == nil {
		close(a.ch)
		<-a.done
		a.sum = a.h.Sum(nil)
	}
	return a.sum
}

// releaseCiphertext removes a spool file no live row refers to.
func (s *Service) releaseCiphertext(ctx context.Context, hash string) {
	if hash == "" {
		return
	}
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM spool_outbox WHERE hash=?1 AND state IN ('queued','deposited','failed')) +
		(SELECT count(*) FROM spool_inbox WHERE hash=?1 AND state = 'new') +
		(SELECT count(*) FROM spool_mailbox WHERE hash=?1)`, hash).Scan(&n)
	if err == nil && n == 0 {
		if err := os.Remove(s.spool.path(hash)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("remove spool file", "hash", hash, "err", err)
		}
	}
}
