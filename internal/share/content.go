package share

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/events"
)

// The file-body endpoints, for a client that holds the bytes itself (the
// web UI's browser) rather than a local path the node reads or writes:
// GET /v1/files/content streams NODE:SHARE/path out, PUT streams the
// request body in. Both go through the same Client calls as get and put
// (OpenRead; Put: temp file on the sharing node, SHA-256 checked, fsync,
// rename into place), so access lists are checked by the sharing node
// exactly as for the CLI.

// serveContent streams a file of a member's share (or of this node's
// own) as an attachment.
func serveContent(w http.ResponseWriter, r *http.Request, svc *Service) {
	q := r.URL.Query()
	t, err := ParseTarget(q.Get("target"))
	if err != nil || t.Share == "" || t.Path == "." {
		api.WriteError(w, api.BadRequest("target %q: want NODE:SHARE/path of a file", q.Get("target")))
		return
	}
	ctx := r.Context()
	var body io.ReadCloser
	var e Entry
	if svc.IsSelf(q.Get("workgroup"), t.Node) {
		l, _, err := svc.OpenShare(ctx, t.Share)
		if err != nil {
			api.WriteError(w, apiError(err))
			return
		}
		if st, err := l.Stat(t.Path); err == nil && st.Dir {
			l.Close()
			api.WriteError(w, api.BadRequest("%s is a folder", t))
			return
		}
		f, fe, err := l.Open(t.Path)
		l.Close() // the open file outlives its os.Root
		if err != nil {
			api.WriteError(w, apiError(err))
			return
		}
		body, e = f, fe
	} else {
		c, m, err := svc.Remote(q.Get("workgroup"), t.Node)
		if err != nil {
			api.WriteError(w, apiError(err))
			return
		}
		rd, err := c.OpenRead(ctx, t.Share, t.Path, 0, 0)
		if err != nil {
			api.WriteError(w, apiError(err))
			return
		}
		o, tp := TransferOptions{Events: svc.configs.events, Workgroup: m.Workgroup}.publishing(c, events.DirectionDownload, t.Share, t.Path)
		body, e = &countingReader{ReadCloser: rd, total: rd.Entry.Size, o: o, tp: tp}, rd.Entry
	}
	defer body.Close()
	if e.Dir {
		api.WriteError(w, api.BadRequest("%s is a folder", t))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(t.Path)}))
	h.Set("Content-Length", strconv.FormatInt(e.Size, 10))
	h.Set("Last-Modified", e.ModTime().UTC().Format(http.TimeFormat))
	w.WriteHeader(http.StatusOK)
	// A remote read that fails midway (the file changed, the member went
	// away) cuts the stream short: the browser sees an incomplete
	// download, never a silently wrong file.
	_, _ = io.Copy(w, body)
}

// putContent writes the request body (Content-Length required) to
// NODE:SHARE/path of a member's share and answers the new entry with the
// offset the member resumed at. A body with Content-Range
// "bytes START-END/SIZE" carries the rest of an upload that was cut after
// START bytes (GET /v1/files/resume says where): see PutRange.
func putContent(w http.ResponseWriter, r *http.Request, svc *Service) {
	q := r.URL.Query()
	if t, err := ParseTarget(q.Get("target")); err == nil && (t.Share == "" || t.Path == ".") {
		api.WriteError(w, api.BadRequest("target %q: want NODE:SHARE/path of a file", q.Get("target")))
		return
	} else if err == nil && svc.IsSelf(q.Get("workgroup"), t.Node) {
		api.WriteError(w, api.BadRequest("%s is this node's own share: write to its folder", t))
		return
	}
	c, t, m, err := remote(r.Context(), svc, q.Get("target"), q.Get("workgroup"), "")
	if err != nil {
		api.WriteError(w, err)
		return
	}
	if r.ContentLength < 0 {
		api.WriteError(w, api.Errorf(http.StatusLengthRequired, "length_required", "the upload needs a Content-Length"))
		return
	}
	start, size := int64(0), r.ContentLength
	if cr := r.Header.Get("Content-Range"); cr != "" {
		if start, size, err = ParseContentRange(cr, r.ContentLength); err != nil {
			api.WriteError(w, api.BadRequest("%v", err))
			return
		}
	}
	mtime := mtimeParam(q)
	key := resumeKey{peer: c.Peer(), share: t.Share, path: t.Path, size: size, mtime: mtime.UnixNano()}
	// The state of a cut upload of this file is used once (or dropped:
	// an upload from the start replaces it).
	h := svc.resumes.take(key, start)
	if start > 0 && h == nil {
		api.WriteError(w, api.Conflict("%s: %v", t, ErrResumeGap))
		return
	}
	if start == 0 {
		h = nil
	}
	o, tp := TransferOptions{Events: svc.configs.events, Workgroup: m.Workgroup}.publishing(c, events.DirectionUpload, t.Share, t.Path)
	src := &countingReader{ReadCloser: r.Body, total: size - start, o: o}
	// Not the request's context: an aborted request cancels it, which
	// would reset the stream and lose bytes in flight that the member is
	// to keep. A broken body ends the upload (a CutError) all the same.
	e, at, err := c.PutRange(context.WithoutCancel(r.Context()), t.Share, t.Path, src, start, size, mtime, h)
	tp.Done(err)
	var cut *CutError
	if errors.As(err, &cut) {
		svc.resumes.keep(key, cut.N, cut.H)
		svc.log.Info("web upload cut: resumable", "target", t.String(), "held", cut.N, "size", size)
	}
	switch {
	case errors.Is(err, ErrResumeGap):
		api.WriteError(w, api.Conflict("%s: %v", t, err))
		return
	case err != nil:
		api.WriteError(w, apiError(fmt.Errorf("%s: %w", t, err)))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(PutReply{Entry: e, ResumedFrom: at})
}

// PutReply is the answer of PUT /v1/files/content: the new entry and the
// offset the member resumed the upload at (0: from the start).
type PutReply struct {
	Entry
	ResumedFrom int64 `json:"resumed_from"`
}

// ResumeReply is the answer of GET /v1/files/resume.
type ResumeReply struct {
	Offset int64 `json:"offset"` // send the file from here
}

// serveResume answers where an upload of target (size bytes, mtime_ms)
// resumes: the bytes of a cut upload this node sent and knows the hash of.
func serveResume(ctx context.Context, r *http.Request, svc *Service) (ResumeReply, error) {
	q := r.URL.Query()
	t, err := ParseTarget(q.Get("target"))
	if err != nil || t.Share == "" {
		return ResumeReply{}, api.BadRequest("target %q: want NODE:SHARE/path of a file", q.Get("target"))
	}
	// This node's own knowledge: no need to reach the member.
	c, _, err := svc.Remote(q.Get("workgroup"), t.Node)
	if err != nil {
		return ResumeReply{}, apiError(err)
	}
	size, err := strconv.ParseInt(q.Get("size"), 10, 64)
	if err != nil || size < 0 {
		return ResumeReply{}, api.BadRequest("size %q: want a byte count", q.Get("size"))
	}
	key := resumeKey{peer: c.Peer(), share: t.Share, path: t.Path, size: size, mtime: mtimeParam(q).UnixNano()}
	return ResumeReply{Offset: svc.resumes.offset(key)}, nil
}

// mtimeParam is the mtime_ms parameter (zero time when absent).
func mtimeParam(q url.Values) time.Time {
	if ms, err := strconv.ParseInt(q.Get("mtime_ms"), 10, 64); err == nil && ms > 0 {
		return time.UnixMilli(ms)
	}
	return time.Time{}
}

// ParseContentRange reads "bytes START-END/SIZE" of a body of n bytes:
// END must be the file's last byte and the body exactly END-START+1
// bytes.
func ParseContentRange(v string, n int64) (start, size int64, err error) {
	spec, ok := strings.CutPrefix(v, "bytes ")
	rng, total, ok2 := strings.Cut(spec, "/")
	a, b, ok3 := strings.Cut(rng, "-")
	if !ok || !ok2 || !ok3 {
		return 0, 0, fmt.Errorf("Content-Range %q: want bytes START-END/SIZE", v)
	}
	s, e1 := strconv.ParseUint(a, 10, 62)
	end, e2 := strconv.ParseUint(b, 10, 62)
	sz, e3 := strconv.ParseUint(total, 10, 62)
	if e1 != nil || e2 != nil || e3 != nil || s > end || end+1 != sz || int64(end-s+1) != n {
		return 0, 0, fmt.Errorf("Content-Range %q: want bytes START-END/SIZE with END the last byte and a body of END-START+1 bytes (%d)", v, n)
	}
	return int64(s), int64(sz), nil
}

// countingReader reports the bytes read through o.Progress (which
// publishes transfer.progress when the node has an event bus) and, when
// tp is set, ends the transfer's events on Close.
type countingReader struct {
	io.ReadCloser
	n, total int64
	o        TransferOptions
	tp       *events.Progress
	err      error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n += int64(n)
	if n > 0 && c.o.Progress != nil {
		c.o.Progress("", c.n, c.total)
	}
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

func (c *countingReader) Close() error {
	if c.tp != nil {
		if c.err == nil && c.n < c.total {
			c.err = io.ErrUnexpectedEOF
		}
		c.tp.Done(c.err)
	}
	return c.ReadCloser.Close()
}
