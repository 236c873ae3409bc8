package share

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/wire"
)

// TransferOptions tune GetFile, PutFile and their recursive forms.
type TransferOptions struct {
	// Progress, when set, is called as bytes move: done of total for the
	// current file, and the file's name.
	Progress func(name string, done, total int64)
	// Retries is how many times an interrupted file is resumed (network
	// error, vanished peer, file changed while read). 0 means 3; -1 none.
	Retries int
	// RetryDelay is the pause before a retry (default 500 ms).
	RetryDelay time.Duration
	// Digests, when set, remembers the digests of large local files an
	// upload reads, so sending the same file again skips hashing it.
	Digests *Digests
	// Events, when set, receives transfer.progress for each file, in
	// workgroup Workgroup.
	Events    *events.Bus
	Workgroup string
}

func (o TransferOptions) retries() int {
	switch {
	case o.Retries < 0:
		return 0
	case o.Retries == 0:
		return 3
	}
	return o.Retries
}

// Result sums up a transfer.
type Result struct {
	Files       int     `json:"files"`
	Bytes       int64   `json:"bytes"`        // bytes of the files transferred
	Sent        int64   `json:"sent"`         // bytes that crossed the network
	ResumedFrom int64   `json:"resumed_from"` // offset the last file resumed at (0: from the start)
	Retries     int     `json:"retries"`
	SHA256      string  `json:"sha256,omitempty"` // of the last file, when the check used SHA-256 (an older peer)
	Digest      string  `json:"digest,omitempty"` // of the last file: "blake3:HEX" or "sha256:HEX"
	Seconds     float64 `json:"seconds"`
}

// setDigest records the last file's digest in algorithm h.
func (r *Result) setDigest(h Hash, sum []byte) {
	r.Digest = h.String() + ":" + hex.EncodeToString(sum)
	r.SHA256 = ""
	if h == HashSHA256 {
		r.SHA256 = hex.EncodeToString(sum)
	}
}

// retryable tells whether a failed attempt may resume.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if errors.Is(err, ErrChanged) || errors.Is(err, ErrCorrupt) {
		return true
	}
	var re *RemoteError
	if errors.As(err, &re) {
		return re.Code == wire.CodeInternal || re.Code == codeBusy
	}
	return !errors.Is(err, ErrNoSpace) && !errors.Is(err, ErrBadPath) && !errors.Is(err, os.ErrNotExist)
}

func withRetries(ctx context.Context, o TransferOptions, res *Result, attempt func() error) error {
	base := o.RetryDelay
	if base == 0 {
		base = 500 * time.Millisecond
	}
	delay := base
	for i := 0; ; i++ {
		before := res.Sent
		err := attempt()
		if err == nil || i >= o.retries() || !retryable(ctx, err) {
			return err
		}
		// An attempt that moved nothing (the peer is still unreachable,
		// or restarting) waits twice as long before the next, up to
		// maxRetryDelay; one that moved bytes starts again from the
		// first delay. When the retries run out the partial file stays
		// for the next command. (Ending the loop at the first attempt
		// that moved nothing gave up on a peer that took over a second
		// to come back on a loaded machine.)
		if res.Sent == before && !errors.Is(err, ErrChanged) && !errors.Is(err, ErrCorrupt) && !isBusy(err) {
			if i > 0 {
				delay = min(2*delay, maxRetryDelay)
			}
		} else {
			delay = base
		}
		res.Retries++
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
	}
}

// maxRetryDelay bounds the wait between two attempts that moved nothing.
const maxRetryDelay = 5 * time.Second

func isBusy(err error) bool {
	var re *RemoteError
	return errors.As(err, &re) && re.Code == codeBusy
}

func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// localPartName is the partial file of a download of one version of a
// remote file into local (same folder, hidden).
func localPartName(local string, c *Client, share, path string, e Entry) string {
	h := sha256.Sum256([]byte(c.peer.String() + "\x00" + share + "\x00" + path + "\x00" +
		strconv.FormatInt(e.Size, 10) + "\x00" + strconv.FormatInt(e.Mtime, 10) + "\x00" + filepath.Base(local)))
	return filepath.Join(filepath.Dir(local), partPrefix+hex.EncodeToString(h[:8]))
}

// GetFile downloads share/path into the local file local (a folder
// receives the file under its own name). Bytes go to a hidden partial
// file next to it; an interrupted download resumes from the partial on
// retry (here or in a later call), the whole file's digest (BLAKE3, or
// SHA-256 with an older peer) is checked against the sender's, then the
// file is fsync'd, gets the remote mtime and is renamed into place.
func GetFile(ctx context.Context, c *Client, share, path, local string, o TransferOptions) (Result, error) {
	return getFile(ctx, c, share, path, local, o, nil)
}

// getFile is GetFile; known, when set, is the file's entry from a listing
// just made, used instead of a stat round trip on the first attempt (a
// file changed since is caught by the read's own header, and the retry
// stats it).
func getFile(ctx context.Context, c *Client, share, path, local string, o TransferOptions, known *Entry) (Result, error) {
	start := time.Now()
	var res Result
	local = intoFolder(local, isLocalDir(local), baseName(path), filepath.Join)
	fresh := false // after a digest mismatch, ask the sender to hash anew
	o, tp := o.publishing(c, events.DirectionDownload, share, path)
	err := withRetries(ctx, o, &res, func() error {
		err := getOnce(ctx, c, share, path, local, o, &res, fresh, known)
		fresh = fresh || errors.Is(err, ErrCorrupt)
		known = nil
		return err
	})
	tp.Done(err)
	res.Seconds = time.Since(start).Seconds()
	if err == nil {
		res.Files = 1
	}
	return res, err
}

func baseName(p string) string {
	cp, err := CleanPath(p)
	if err != nil || cp == "." {
		return "download"
	}
	return filepath.Base(filepath.FromSlash(cp))
}

// fileEntry is known (a listing's entry), else share/path's stat; a
// folder is refused.
func fileEntry(ctx context.Context, c *Client, share, path string, known *Entry) (Entry, error) {
	e := Entry{}
	if known != nil {
		e = *known
	} else {
		var err error
		if e, err = c.Stat(ctx, share, path); err != nil {
			return e, err
		}
	}
	if e.Dir {
		return e, fmt.Errorf("%s:%s is a folder (use -r)", share, path)
	}
	return e, nil
}

func getOnce(ctx context.Context, c *Client, share, path, local string, o TransferOptions, res *Result, fresh bool, known *Entry) error {
	e, err := fileEntry(ctx, c, share, path, known)
	if err != nil {
		return err
	}
	partPath := localPartName(local, c, share, path, e)
	f, err := os.OpenFile(partPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", partPath, err)
	}
	fail := func(err error, keep bool) error {
		f.Close()
		if !keep {
			os.Remove(partPath)
		}
		if isNoSpace(err) {
			return fmt.Errorf("%w: %s (partial file removed)", ErrNoSpace, err)
		}
		return err
	}
	off, err := resumePoint(f, e.Size)
	if err != nil {
		return fail(err, false)
	}
	req := Request{Op: OpRead, Share: share, Path: path, Offset: off, HashAll: off > 0, NoCache: fresh, Hash: c.offer}
	r, err := c.openRead(ctx, req)
	if err != nil {
		return fail(err, true)
	}
	defer r.Close()
	if r.Entry.Size != e.Size || r.Entry.Mtime != e.Mtime {
		return fail(fmt.Errorf("%s: %w", path, ErrChanged), false)
	}
	// The header named the digest: hash what an earlier attempt left.
	h := r.Hash.New()
	if err := hashPrefix(h, f, off); err != nil {
		return fail(err, false)
	}
	res.ResumedFrom = off
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return fail(err, false)
	}
	done := off
	fw := &fileWriter{f: f, off: off, flushed: off}
	_, err = copyShaped(fullPipe.fit(e.Size-off), fw, r, h, func(n int) {
		done += int64(n)
		res.Sent += int64(n)
		if o.Progress != nil {
			o.Progress(path, done, e.Size)
		}
	})
	switch {
	case fw.err != nil:
		return fail(fmt.Errorf("write %s: %w", partPath, fw.err), !isNoSpace(fw.err))
	case err != nil:
		return fail(err, !errors.Is(err, ErrChanged))
	case done != e.Size:
		return fail(fmt.Errorf("%s: got %d of %d bytes: %w", path, done, e.Size, io.ErrUnexpectedEOF), true)
	}
	sum := h.Sum(nil)
	if string(sum) != string(r.Sum()) {
		return fail(fmt.Errorf("%w: %s", ErrCorrupt, path), false)
	}
	if err := dataSync(f); err != nil {
		return fail(fmt.Errorf("sync %s: %w", partPath, err), !isNoSpace(err))
	}
	if err := f.Close(); err != nil {
		os.Remove(partPath)
		return err
	}
	if err := placePartial(partPath, local, e.ModTime()); err != nil {
		return err
	}
	rememberGot(ctx, o, local, e, r.Hash, sum)
	res.Bytes += e.Size
	res.setDigest(r.Hash, sum)
	return nil
}

// rememberGot remembers the digest of a large file just downloaded to
// local (a later upload of it needs no hashing).
func rememberGot(ctx context.Context, o TransferOptions, local string, e Entry, h Hash, sum []byte) {
	if e.Size < digestMinSize {
		return
	}
	if fi, err := os.Stat(local); err == nil {
		o.Digests.Remember(ctx, h, fi, sum)
	}
}

// resumePoint returns where a download into the partial file f resumes:
// its length, or 0 when it is longer than the file of size (which
// truncates it).
func resumePoint(f *os.File, size int64) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	off := fi.Size()
	if off > size {
		off = 0
		if err := f.Truncate(0); err != nil {
			return 0, err
		}
	}
	return off, nil
}

// hashPrefix hashes the first n bytes of f into h (a resumed transfer's
// bytes already there).
func hashPrefix(h hash.Hash, f io.ReaderAt, n int64) error {
	if n == 0 {
		return nil
	}
	_, err := io.CopyBuffer(h, io.NewSectionReader(f, 0, n), make([]byte, bufSize))
	return err
}

// placePartial gives a complete, synced partial file the source's
// modification time and mode 0644, and renames it to its final name.
func placePartial(partPath, local string, mt time.Time) error {
	if err := os.Chtimes(partPath, mt, mt); err != nil {
		return err
	}
	if err := os.Chmod(partPath, 0o644); err != nil {
		return err
	}
	if err := os.Rename(partPath, local); err != nil {
		return fmt.Errorf("rename into place: %w", err)
	}
	return nil
}

// PutFile uploads the local file local to share/path: resumable (the
// sharing node keeps the partial upload under a temporary name), SHA-256
// checked, mtime kept. A local file that changes while it is sent is
// detected and the upload restarted (up to the retries).
func PutFile(ctx context.Context, c *Client, local, share, path string, o TransferOptions) (Result, error) {
	start := time.Now()
	var res Result
	fresh := false // after a digest mismatch, hash the local file anew
	o, tp := o.publishing(c, events.DirectionUpload, share, path)
	err := withRetries(ctx, o, &res, func() error {
		err := putOnce(ctx, c, local, share, path, o, &res, fresh)
		fresh = fresh || errors.Is(err, ErrCorrupt)
		return err
	})
	tp.Done(err)
	res.Seconds = time.Since(start).Seconds()
	if err == nil {
		res.Files = 1
	}
	return res, err
}

func putOnce(ctx context.Context, c *Client, local, share, path string, o TransferOptions, res *Result, fresh bool) error {
	f, err := os.Open(local)
	if err != nil {
		return fmt.Errorf("%w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a folder (use -r)", local)
	}
	size, mtime := fi.Size(), fi.ModTime().UnixNano()
	req := Request{Op: OpWrite, Share: share, Path: path, Size: size, Mtime: mtime, Resume: true, Hash: c.offer}
	if fresh {
		o.Digests.Forget(ctx, fi)
	}
	var sum []byte
	var used Hash
	_, err = c.put(ctx, req, func(off int64, algo Hash, w io.Writer) ([]byte, error) {
		res.ResumedFrom = off
		used = algo
		var known []byte // a remembered digest of this version of the file
		if !fresh {
			known, _ = o.Digests.Lookup(ctx, algo, fi)
		}
		var h hash.Hash
		if known == nil {
			// A first send hashes while it reads (one pass); only a
			// resume reads the prefix already there.
			h = algo.New()
			if err := hashPrefix(h, f, off); err != nil {
				return nil, err
			}
		}
		pw := &progressWriter{w: w, done: off, total: size, name: path, fn: o.Progress, sent: &res.Sent}
		n, err := sendFile(fullPipe.fit(size-off), pw, f, off, size-off, h, nil)
		if err != nil {
			return nil, err
		}
		if n != size-off || changedSince(f, local, fi) {
			return nil, &abortError{msg: fmt.Sprintf("%s changed while it was sent", local)}
		}
		if h == nil {
			sum = known
		} else {
			sum = h.Sum(nil)
			o.Digests.Remember(ctx, algo, fi, sum)
		}
		return sum, nil
	})
	if err != nil {
		return err
	}
	res.Bytes += size
	res.setDigest(used, sum)
	return nil
}

// changedSince reports whether the open file f, or the file at name,
// is no longer the version fi describes.
func changedSince(f *os.File, name string, fi os.FileInfo) bool {
	now, err := f.Stat()
	if err != nil || !sameVersion(fi, now) || now.Size() != fi.Size() || !now.ModTime().Equal(fi.ModTime()) {
		return true
	}
	now, err = os.Stat(name)
	return err != nil || !sameVersion(fi, now) || now.Size() != fi.Size() || !now.ModTime().Equal(fi.ModTime())
}

type progressWriter struct {
	w           io.Writer
	done, total int64
	name        string
	fn          func(string, int64, int64)
	sent        *int64
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.done += int64(n)
	*p.sent += int64(n)
	if p.fn != nil {
		p.fn(p.name, p.done, p.total)
	}
	return n, err
}
