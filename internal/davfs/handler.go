package davfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/webdav"

	"github.com/peerhood/peerhood/internal/loopback"
	"github.com/peerhood/peerhood/internal/share"
)

// User is the HTTP Basic user name; the password is the node's token.
const User = "peerhood"

// maxXMLBody bounds the body of every method but PUT (PROPFIND, LOCK,
// PROPPATCH XML).
const maxXMLBody = 1 << 20

// Handler is the WebDAV handler: the loopback guard (Host, Origin,
// token), path checks, preconditions and locks, then x/net/webdav over
// the Backend for what it gets right (GET, PUT, MKCOL, DELETE, LOCK).
type Handler struct {
	dav   *webdav.Handler
	fs    *davFS
	b     Backend
	guard *loopback.Guard
	locks *lockSystem
	log   *slog.Logger
	// xnetPropfind serves PROPFIND with x/net/webdav (tests compare).
	xnetPropfind bool
}

// NewHandler serves b, accepting Basic auth with User and token.
func NewHandler(b Backend, token string, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	d := &davFS{b: b, started: time.Now()}
	if ps, ok := b.(PropStorer); ok && ps.PropStore() != nil {
		d.props = &deadProps{db: ps.PropStore()}
	}
	h := &Handler{fs: d, b: b, log: log, locks: newLockSystem(),
		guard: loopback.NewGuard(loopback.Config{User: User, Token: token, Realm: "peerhood"})}
	h.dav = &webdav.Handler{
		FileSystem: d,
		LockSystem: h.locks,
		Logger: func(r *http.Request, err error) {
			if err != nil {
				log.Debug("webdav", "method", r.Method, "path", r.URL.Path, "err", err)
			}
		},
	}
	return h
}

// writeMethods change the request path's resource.
var writeMethods = map[string]bool{
	"PUT": true, "DELETE": true, "MKCOL": true, "PROPPATCH": true, "LOCK": true, "MOVE": true,
}

// servedMethods are the methods the gateway serves (others: serveUnknown).
var servedMethods = map[string]bool{
	"OPTIONS": true, "GET": true, "HEAD": true, "POST": true, "PROPFIND": true, "UNLOCK": true, "COPY": true,
	"PUT": true, "DELETE": true, "MKCOL": true, "PROPPATCH": true, "LOCK": true, "MOVE": true,
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	loopback.SecurityHeaders(w.Header())
	if h.guard.Check(w, r) != nil {
		return
	}
	if r.Method == http.MethodOptions && r.URL.Path == "*" {
		w.Header().Set("DAV", "1, 2")
		w.Header().Set("MS-Author-Via", "DAV")
		return
	}
	t, err := checkURLPath(r.URL)
	if err != nil {
		refuse(w, http.StatusBadRequest, "%v", err)
		return
	}
	st := &reqState{method: r.Method, size: -1}
	ctx := withState(r.Context(), st)
	switch {
	case r.Method == http.MethodOptions:
		h.serveOptions(ctx, w, t)
		return
	case !servedMethods[r.Method]:
		h.serveUnknown(ctx, w, r, t)
		return
	case r.Method == http.MethodPost && t.Level() >= 2:
		// POST reads like GET, but in a read-only share it is refused
		// with the writes.
		if si, err := h.fs.findShare(ctx, t); err == nil && si.ReadOnly {
			refuse(w, http.StatusForbidden, "POST %s: %v", t, ErrReadOnly)
			return
		}
	}
	if writeMethods[r.Method] {
		if code, err := h.checkWrite(ctx, t, r.Method); err != nil {
			refuse(w, code, "%v", err)
			return
		}
	}
	if r.Method == "COPY" || r.Method == "MOVE" {
		dst, code, err := h.checkDestination(ctx, r, t)
		if err != nil {
			refuse(w, code, "%v", err)
			return
		}
		h.serveCopyMove(ctx, w, r, t, dst)
		return
	}
	if code, err := h.checkRequest(ctx, r, t); err != nil {
		if errors.Is(err, errFiniteDepth) {
			w.Header().Set("Content-Type", "application/xml; charset=utf-8")
			w.WriteHeader(code)
			fmt.Fprint(w, `<?xml version="1.0" encoding="utf-8"?>`+"\n"+`<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>`+"\n")
			return
		}
		refuse(w, code, "%v", err)
		return
	}
	h.watchBody(ctx, w, r, t, st)
	if r.Method == "LOCK" {
		h.serveLock(ctx, w, r, t)
		return
	}
	if r.Method == http.MethodDelete && !h.checkDeleteTree(ctx, w, t) {
		return
	}
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && h.serveListing(ctx, w, r, t) {
		return
	}
	if r.Method == "PROPFIND" && !h.xnetPropfind {
		h.servePropfind(ctx, w, r, t)
		return
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodPost {
		loopback.FileHeaders(w.Header(), t.Path, mime.TypeByExtension(path.Ext(t.Path)))
	}
	sw := &statusWriter{ResponseWriter: w, st: st}
	h.dav.ServeHTTP(sw, r.WithContext(ctx))
	if r.Method == http.MethodDelete && sw.code < 300 {
		h.deleted(ctx, t)
	}
}

// watchBody counts a PUT's body (and notes whether it replaces a file:
// PUT answers 204 instead of 201 then); any other body is XML, capped at
// maxXMLBody.
func (h *Handler) watchBody(ctx context.Context, w http.ResponseWriter, r *http.Request, t Target, st *reqState) {
	if r.Method != http.MethodPut {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxXMLBody)
		}
		return
	}
	body := r.Body
	st.size = r.ContentLength
	if n := expectedLength(r); n >= 0 {
		body = &expectedBody{ctx: ctx, r: body, size: n, left: n}
		st.size = n
	}
	st.body = &bodyWatch{rc: body}
	r.Body = st.body
	if fi, err := h.fs.stat(ctx, t); err == nil && !fi.IsDir {
		st.existed = true
	}
}

// deleted drops the locks and dead properties of a deleted resource.
func (h *Handler) deleted(ctx context.Context, t Target) {
	h.locks.moved(lockName(t.String()))
	if h.fs.props != nil {
		if err := h.fs.props.remove(ctx, t); err != nil {
			h.log.Warn("webdav: dead properties of a deleted resource", "path", t.String(), "err", err)
		}
	}
}

var errFiniteDepth = errors.New("propfind-finite-depth: Depth infinity is not served; use 0 or 1")

// checkRequest checks what x/net/webdav would not: PROPFIND's Depth,
// PUT's Content-Range, LOCK's Timeout, and every precondition of a write.
func (h *Handler) checkRequest(ctx context.Context, r *http.Request, t Target) (int, error) {
	switch r.Method {
	case "PROPFIND":
		switch r.Header.Get("Depth") {
		case "infinity":
			return http.StatusForbidden, errFiniteDepth
		case "":
			// RFC 4918 reads a missing Depth as infinity; a listing of a
			// whole workgroup is never what is meant: serve depth 1.
			r.Header.Set("Depth", "1")
		}
		return 0, nil
	case http.MethodPut:
		if share.FolderSyntax(r.URL.Path) {
			// The destination rule of get, put and copy (share/dest.go):
			// a trailing / names a folder, and a PUT has no other name
			// to write inside it.
			return http.StatusConflict, fmt.Errorf("%s ends in / (a folder): PUT a file to its own name, such as %snotes.txt", r.URL.Path, r.URL.Path)
		}
		if r.Header.Get("Content-Range") != "" {
			// RFC 9110 14.5: a server that does not do partial PUT must refuse it.
			return http.StatusBadRequest, errors.New("PUT with Content-Range (a partial write) is not supported: send the whole file")
		}
		if v := r.Header.Get("X-OC-Mtime"); v != "" {
			mt, err := parseOCMtime(v)
			if err != nil {
				return http.StatusBadRequest, err
			}
			stateOf(ctx).mtime = mt
		}
	case "LOCK":
		r.Header.Set("Timeout", lockTimeoutHeader(r.Header.Get("Timeout")))
	}
	if !writeMethods[r.Method] || r.Method == "LOCK" {
		return 0, nil
	}
	if err := h.checkConditions(ctx, r, r.Method, t, nil); err != nil {
		return conditionStatus(err), err
	}
	return 0, nil
}

// lockTimeoutHeader turns a LOCK's Timeout header into the timeout
// granted, which x/net/webdav then echoes in its answer.
func lockTimeoutHeader(asked string) string {
	d := time.Duration(-1)
	for _, v := range strings.Split(asked, ",") {
		v = strings.TrimSpace(v)
		if n, ok := strings.CutPrefix(v, "Second-"); ok {
			if s, err := strconv.ParseUint(n, 10, 32); err == nil {
				d = time.Duration(s) * time.Second
				break
			}
		}
	}
	return "Second-" + strconv.Itoa(int(clampTimeout(d)/time.Second))
}

// checkURLPath refuses encoded separators and NUL (which decoding would
// hide) and parses the decoded path.
func checkURLPath(u *url.URL) (Target, error) {
	raw := strings.ToLower(u.EscapedPath())
	for _, bad := range []string{"%2f", "%5c", "%00"} {
		if strings.Contains(raw, bad) {
			return Target{}, fmt.Errorf("%w: encoded %s in the path", ErrBadPath, bad)
		}
	}
	return ParsePath(u.Path)
}

// checkWrite refuses writes above a share's content and into read-only
// shares before the WebDAV handler runs.
func (h *Handler) checkWrite(ctx context.Context, t Target, method string) (int, error) {
	switch t.Level() {
	case 0, 1:
		return http.StatusForbidden, fmt.Errorf("%s %s: shares are added with 'peerhood share add' on their node; files go inside a share", method, t)
	case 2:
		if method == "DELETE" || method == "MOVE" || method == "MKCOL" || method == "PUT" {
			return http.StatusForbidden, fmt.Errorf("%s %s: a share's root cannot be changed over WebDAV", method, t)
		}
	}
	si, err := h.fs.findShare(ctx, t)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return http.StatusNotFound, err
		}
		if code := statusFor(err); code != 0 {
			return code, err
		}
		return http.StatusBadGateway, err
	}
	if si.ReadOnly {
		return http.StatusForbidden, fmt.Errorf("%s %s: %w", method, t, ErrReadOnly)
	}
	return 0, nil
}

// checkDestination parses the Destination header of COPY and MOVE.
func (h *Handler) checkDestination(ctx context.Context, r *http.Request, src Target) (Target, int, error) {
	hdr := r.Header.Get("Destination")
	if hdr == "" {
		return Target{}, http.StatusBadRequest, errors.New("missing Destination header")
	}
	u, err := url.Parse(hdr)
	if err != nil {
		return Target{}, http.StatusBadRequest, fmt.Errorf("%w: Destination: %v", ErrBadPath, err)
	}
	if u.Host != "" && ((u.Scheme != "http" && u.Scheme != "") || !loopback.SameServer(r, u.Host)) {
		return Target{}, http.StatusBadGateway, fmt.Errorf("the Destination %s is on another server", u.Host)
	}
	dst, err := checkURLPath(u)
	if err != nil {
		return Target{}, http.StatusBadRequest, fmt.Errorf("bad Destination: %w", err)
	}
	if code, err := h.checkWrite(ctx, dst, "MOVE"); err != nil {
		if code == http.StatusNotFound {
			return Target{}, http.StatusConflict, err
		}
		return Target{}, code, err
	}
	switch r.Header.Get("Overwrite") {
	case "T", "F":
	case "":
		// RFC 4918 10.6: no header means T (x/net/webdav reads it as F for MOVE).
		r.Header.Set("Overwrite", "T")
	default:
		return Target{}, http.StatusBadRequest, fmt.Errorf("bad Overwrite %q: use T or F", r.Header.Get("Overwrite"))
	}
	s, d := src.String(), dst.String()
	if d == s {
		return Target{}, http.StatusForbidden, errors.New("the Destination is the source")
	}
	if strings.HasPrefix(d, s+"/") {
		return Target{}, http.StatusForbidden, fmt.Errorf("the Destination %s lies inside the source %s", d, s)
	}
	return dst, 0, nil
}

func refuse(w http.ResponseWriter, code int, format string, args ...any) {
	loopback.Refuse(w, code, format, args...)
}
