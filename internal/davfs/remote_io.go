package davfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/peerhood/peerhood/internal/share"
)

// The handles of ShareBackend for another node's files: a streamed
// upload (size known), a staged upload (size unknown) and a reader.

// remoteReader reads a remote file at any offset through one open
// stream while reads stay sequential.
type remoteReader struct {
	ctx   context.Context
	c     *share.Client
	share string
	path  string
	mu    sync.Mutex
	r     *share.Reader
	pos   int64
}

func (r *remoteReader) ReadAt(p []byte, off int64) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.r != nil && off != r.pos {
		r.r.Close()
		r.r = nil
	}
	if r.r == nil {
		rd, err := r.c.OpenRead(r.ctx, r.share, r.path, off, 0)
		if err != nil {
			return 0, shareErr(err)
		}
		r.r, r.pos = rd, off
	}
	n, err := io.ReadFull(r.r, p)
	r.pos += int64(n)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	if err != nil {
		r.r.Close()
		r.r = nil
		if err != io.EOF {
			err = shareErr(err)
		}
	}
	return n, err
}

func (r *remoteReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.r != nil {
		err := r.r.Close()
		r.r = nil
		return err
	}
	return nil
}

// remoteWriter stages an upload in a spool file.
type remoteWriter struct {
	ctx   context.Context
	c     *share.Client
	share string
	path  string
	f     *os.File
	n     int64
	mtime time.Time // kept by the file when not zero
	done  bool
	final *FileInfo // the file as the sharing node committed it
}

// Committed implements Committed.
func (w *remoteWriter) Committed() (FileInfo, bool) {
	if w.final == nil {
		return FileInfo{}, false
	}
	return *w.final, true
}

func (w *remoteWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.n += int64(n)
	if err != nil {
		return n, localErr("stage", w.path, err)
	}
	return n, nil
}

func (w *remoteWriter) Commit() error {
	if w.done {
		return errors.New("write already finished")
	}
	w.done = true
	defer w.cleanup()
	if _, err := w.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("stage %s: %w", w.path, err)
	}
	e, err := w.c.Put(w.ctx, w.share, w.path, w.f, w.n, w.mtime)
	if err != nil {
		return shareErr(err)
	}
	fi := entryInfo(e)
	w.final = &fi
	return nil
}

func (w *remoteWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.cleanup()
	return nil
}

func (w *remoteWriter) cleanup() {
	name := w.f.Name()
	w.f.Close()
	os.Remove(name)
}
