package share

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Resumable uploads of a client that holds the bytes itself (the web
// UI's browser) rather than a file the node can read again: the same
// write op and partial file as PutFile, with the whole file's SHA-256
// carried across the cut by this node. When the source breaks off (the
// browser's request is aborted), the stream is closed cleanly rather than
// reset, so the member keeps every byte sent (its partial upload, kept as
// for any cut transfer); this node keeps the hash state of those bytes,
// and the client resumes by sending only the bytes after them.

// ErrResumeGap is returned when a resumed upload starts past what the
// member holds: the client must send from the start (or from
// ResumeOffset's answer) again.
var ErrResumeGap = errors.New("the member holds fewer bytes than the upload resumes from")

// CutError is returned by PutRange when its source broke off: the member
// holds the first N bytes of the file and H is their SHA-256 state.
type CutError struct {
	N   int64
	H   hash.Hash
	Err error
}

func (e *CutError) Error() string { return fmt.Sprintf("upload cut after %d bytes: %v", e.N, e.Err) }
func (e *CutError) Unwrap() error { return e.Err }

// PutRange uploads to share/path the bytes [start, size) of a file of
// size bytes (mtime kept when non-zero), read from src, resuming the
// member's partial upload of that file. h is the SHA-256 state of bytes
// [0, start) (nil when start is 0). When the member holds more than
// start, the surplus bytes of src are hashed here, not sent again. It
// returns the new entry and the offset the member resumed at; a broken
// src gives a *CutError.
func (c *Client) PutRange(ctx context.Context, share, path string, src io.Reader, start, size int64, mtime time.Time, h hash.Hash) (Entry, int64, error) {
	if start < 0 || start > size || (start > 0) != (h != nil) {
		return Entry{}, 0, fmt.Errorf("resume at %d of %d bytes without its hash state", start, size)
	}
	if h == nil {
		h = sha256.New()
	}
	var mt int64
	if !mtime.IsZero() {
		mt = mtime.UnixNano()
	}
	var at int64
	sent := false
	req := Request{Op: OpWrite, Share: share, Path: path, Size: size, Mtime: mt, Resume: true}
	// The hash state crosses cuts, so the request asks for SHA-256 (the
	// digest of a request that offers none).
	send := func(off int64, algo Hash, w io.Writer) ([]byte, error) {
		at, sent = off, true
		if algo != HashSHA256 {
			return nil, fmt.Errorf("resumable upload: the member chose digest %q, not SHA-256", algo)
		}
		if off < start {
			return nil, fmt.Errorf("%w (%d of %d)", ErrResumeGap, off, start)
		}
		// Bytes the member holds beyond start: hashed, not sent.
		if n, err := io.CopyN(h, src, off-start); err != nil {
			return nil, &CutError{N: start + n, H: h, Err: err}
		}
		n, err := copyShaped(fullPipe.fit(size-off), w, io.LimitReader(src, size-off), h, nil)
		if err == nil && n != size-off {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, &CutError{N: off + n, H: h, Err: err}
		}
		return h.Sum(nil), nil
	}
	// The member may still be settling the cut upload of this file (it
	// answers before it lets go of it): busy before a byte of src was
	// read is tried again.
	for try := 1; ; try++ {
		e, err := c.put(ctx, req, send)
		if sent || !isBusy(err) || try == busyTries {
			return e, at, err
		}
		select {
		case <-ctx.Done():
			return e, at, err
		case <-time.After(time.Duration(try) * 20 * time.Millisecond):
		}
	}
}

// busyTries is how often PutRange asks a member busy with the same file.
const busyTries = 10

// resumeKey names one version of one file being uploaded to a member.
type resumeKey struct {
	peer        peer.ID
	share, path string
	size, mtime int64
}

// cutPoint is where a cut upload stands: n bytes held by the member,
// h their hash state.
type cutPoint struct {
	n  int64
	h  hash.Hash
	at time.Time
}

// Hash states of cut uploads are kept for resumeTTL, at most maxResumes.
const (
	resumeTTL  = 24 * time.Hour
	maxResumes = 64
)

// resumes holds the cut uploads of this node's clients.
type resumes struct {
	mu sync.Mutex
	m  map[resumeKey]cutPoint
}

// offset is where an upload of k resumes (0: from the start).
func (r *resumes) offset(k resumeKey) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.m[k]
	if !ok || time.Since(p.at) > resumeTTL {
		return 0
	}
	return p.n
}

// take removes and returns k's hash state if it stands at n.
func (r *resumes) take(k resumeKey, n int64) hash.Hash {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.m[k]
	delete(r.m, k)
	if !ok || p.n != n || time.Since(p.at) > resumeTTL {
		return nil
	}
	return p.h
}

// keep remembers a cut upload of k, evicting the oldest beyond maxResumes.
func (r *resumes) keep(k resumeKey, n int64, h hash.Hash) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[resumeKey]cutPoint{}
	}
	for len(r.m) >= maxResumes {
		var oldest resumeKey
		first := true
		for k2, p := range r.m {
			if first || p.at.Before(r.m[oldest].at) {
				oldest, first = k2, false
			}
		}
		delete(r.m, oldest)
	}
	r.m[k] = cutPoint{n: n, h: h, at: time.Now()}
}
