package davfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"sync"
	"time"
)

// reqState is what one request's FileSystem calls share: the status code
// the first significant error asks for (x/net/webdav's handler only knows
// a few), a stat cache filled by directory reads, and whether a PUT's
// body arrived whole.
type reqState struct {
	method string
	mu     sync.Mutex
	status int
	err    error
	cache  map[string]FileInfo
	body   *bodyWatch
	// existed: the PUT target was a file before the request.
	existed bool
	// size is a PUT's Content-Length (-1: unknown).
	size int64
	// mtime is the modification time a PUT asks the file to keep
	// (X-OC-Mtime); zero: now.
	mtime time.Time
	// put is the file a PUT wrote, as committed (nil: not known).
	put *FileInfo
}

// UploadModTime returns the modification time the PUT being served in
// ctx asks its file to keep (zero: none asked). Backends give it to the
// file they Create.
func UploadModTime(ctx context.Context) time.Time {
	if st := stateOf(ctx); st != nil && st.method == http.MethodPut {
		return st.mtime
	}
	return time.Time{}
}

type stateKey struct{}

func withState(ctx context.Context, st *reqState) context.Context {
	return context.WithValue(ctx, stateKey{}, st)
}

func stateOf(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey{}).(*reqState)
	return st
}

// fail records the status err asks for (the first one wins) and returns
// err. notExist is the status a "not found" means in this call (0: leave
// the handler's choice).
func fail(ctx context.Context, err error, notExist int) error {
	if err == nil {
		return nil
	}
	st := stateOf(ctx)
	if st == nil {
		return osErr("webdav", "", err)
	}
	code := statusFor(err)
	if code == 0 && errors.Is(err, fs.ErrNotExist) {
		code = notExist
	}
	if code == 0 {
		return osErr("webdav", "", err)
	}
	st.mu.Lock()
	if st.status == 0 {
		st.status, st.err = code, err
	}
	st.mu.Unlock()
	return osErr("webdav", "", err)
}

// osErr returns err in a form os.IsNotExist and os.IsExist recognise
// (they do not unwrap fmt.Errorf chains), which x/net/webdav relies on.
func osErr(op, name string, err error) error {
	if err == nil {
		return nil
	}
	for _, base := range []error{fs.ErrNotExist, fs.ErrExist, fs.ErrPermission} {
		if errors.Is(err, base) {
			return &fs.PathError{Op: op, Path: name, Err: base}
		}
	}
	return err
}

// statusFor maps backend errors to WebDAV status codes (0: no opinion).
func statusFor(err error) int {
	switch {
	case errors.Is(err, ErrBadPath), errors.Is(err, errBodyLength):
		return http.StatusBadRequest
	case errors.Is(err, ErrReadOnly), errors.Is(err, fs.ErrPermission):
		return http.StatusForbidden
	case errors.Is(err, ErrNoSpace):
		return http.StatusInsufficientStorage
	case errors.Is(err, ErrCrossShare):
		return http.StatusBadGateway
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrUpstream):
		return http.StatusBadGateway
	case errors.Is(err, ErrIsDir):
		return http.StatusMethodNotAllowed
	case errors.Is(err, ErrNotEmpty):
		return http.StatusConflict
	}
	return 0
}

func (st *reqState) cached(name string) (FileInfo, bool) {
	if st == nil {
		return FileInfo{}, false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	fi, ok := st.cache[name]
	return fi, ok
}

func (st *reqState) remember(name string, fi FileInfo) {
	if st == nil {
		return
	}
	st.mu.Lock()
	if st.cache == nil {
		st.cache = map[string]FileInfo{}
	}
	st.cache[name] = fi
	st.mu.Unlock()
}

func (st *reqState) forget() {
	if st == nil {
		return
	}
	st.mu.Lock()
	st.cache = nil
	st.mu.Unlock()
}

// bodyWatch tells whether a request body was read to its clean end.
type bodyWatch struct {
	rc  io.ReadCloser
	mu  sync.Mutex
	eof bool
	err error
}

func (b *bodyWatch) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil {
		b.mu.Lock()
		if err == io.EOF {
			b.eof = true
		} else if b.err == nil {
			b.err = err
		}
		b.mu.Unlock()
	}
	return n, err
}

func (b *bodyWatch) Close() error { return b.rc.Close() }

// complete reports whether the body ended cleanly.
func (b *bodyWatch) complete() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.eof && b.err == nil
}

// statusWriter replaces an error status chosen by x/net/webdav with the
// one the request state recorded, and its body with a clear message.
type statusWriter struct {
	http.ResponseWriter
	st       *reqState
	replaced bool
	wrote    bool
	code     int // the status sent
}

func (w *statusWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	w.code = code
	if code < 300 && w.st.method == http.MethodPut && !w.st.mtime.IsZero() {
		// ownCloud's answer, which its clients (rclone) look for.
		w.ResponseWriter.Header().Set("X-OC-Mtime", "accepted")
	}
	if code < 300 && w.st.method == http.MethodPut {
		w.st.mu.Lock()
		fi := w.st.put
		w.st.mu.Unlock()
		if fi != nil {
			// x/net's ETag comes from a stat taken before the commit.
			w.ResponseWriter.Header().Set("ETag", etagOf(*fi))
		} else {
			w.ResponseWriter.Header().Del("ETag")
		}
	}
	if code == http.StatusCreated && w.st.method == http.MethodPut && w.st.existed {
		w.replaced = true // drop the handler's "Created" text
		w.ResponseWriter.WriteHeader(http.StatusNoContent)
		return
	}
	if code >= 400 {
		w.ResponseWriter.Header().Del("Content-Disposition") // a refusal is shown, not saved
		w.st.mu.Lock()
		rec, err := w.st.status, w.st.err
		w.st.mu.Unlock()
		if rec != 0 {
			code = rec
		}
		if err != nil {
			w.replaced = true
			h := w.ResponseWriter.Header()
			h.Set("Content-Type", "text/plain; charset=utf-8")
			h.Del("Content-Length")
			w.ResponseWriter.WriteHeader(code)
			_, _ = io.WriteString(w.ResponseWriter, http.StatusText(code)+": "+publicError(err)+"\n")
			return
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.replaced {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// ReadFrom copies a GET's body (http.ServeContent copies through it) in
// bodyBufSize pieces. net/http's own ReadFrom, and io.Copy through the
// metrics wrapper, both copy 32 KiB at a time: one write(2) to the
// client and, for another node's file, one hand-over from the verified
// stream per 32 KiB (docs/design/records/2026-11-30-s7-davput.md has the figures).
func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.replaced {
		return io.Copy(io.Discard, r)
	}
	if lr, ok := r.(*io.LimitedReader); ok && lr.N < bodyBufSize {
		// A small body (ServeContent hands its length): io.Copy sizes
		// its buffer to it, and no large piece is taken from the pool.
		return io.Copy(writerOnly{w.ResponseWriter}, r)
	}
	bp := bodyBufs.Get().(*[]byte)
	defer bodyBufs.Put(bp)
	return io.CopyBuffer(writerOnly{w.ResponseWriter}, r, *bp)
}

// bodyBufSize is the piece a GET's body is copied in: a few of the
// loopback's 64 KiB segments per write(2).
const bodyBufSize = 512 << 10

var bodyBufs = sync.Pool{New: func() any { b := make([]byte, bodyBufSize); return &b }}

// writerOnly hides a writer's ReadFrom from io.CopyBuffer (which would
// otherwise hand it the copy, 32 KiB at a time).
type writerOnly struct{ io.Writer }

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// publicError is an error's text for a client: it never holds host paths
// because backends report share-relative paths only.
func publicError(err error) string {
	s := err.Error()
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
