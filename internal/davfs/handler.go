package davfs

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/webdav"
)

// User is the HTTP Basic user name; the password is the node's token.
const User = "peerhood"

// maxXMLBody bounds the body of every method but PUT (PROPFIND, LOCK,
// PROPPATCH XML).
const maxXMLBody = 1 << 20

// Handler is the WebDAV handler: host and auth checks, path checks, then
// x/net/webdav over the Backend.
type Handler struct {
	dav   *webdav.Handler
	fs    *davFS
	b     Backend
	token [32]byte // sha256 of the password, compared in constant time
	user  [32]byte
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
	h := &Handler{fs: d, b: b, log: log, token: sha256.Sum256([]byte(token)), user: sha256.Sum256([]byte(User))}
	h.dav = &webdav.Handler{
		FileSystem: d,
		LockSystem: webdav.NewMemLS(),
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

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !loopbackHost(r.Host) {
		refuse(w, http.StatusForbidden, "Host %q is not a loopback name: use 127.0.0.1, localhost or [::1]", r.Host)
		return
	}
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="peerhood", charset="UTF-8"`)
		refuse(w, http.StatusUnauthorized, "user %q and the node's token required (peerhood mount-info)", User)
		return
	}
	if o := r.Header.Get("Origin"); o != "" && !loopbackOrigin(o) {
		// A web page elsewhere making the browser send cached credentials.
		refuse(w, http.StatusForbidden, "cross-origin request from %q refused", o)
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
	ctx := r.Context()
	if writeMethods[r.Method] {
		if code, err := h.checkWrite(ctx, t, r.Method); err != nil {
			refuse(w, code, "%v", err)
			return
		}
	}
	var dst Target
	if r.Method == "COPY" || r.Method == "MOVE" {
		var code int
		if dst, code, err = h.checkDestination(ctx, r, t); err != nil {
			refuse(w, code, "%v", err)
			return
		}
		if r.Method == "MOVE" && (dst.Node != t.Node || dst.Share != t.Share) {
			h.moveAcross(ctx, w, r, dst)
			return
		}
	}
	if r.Method == "PROPFIND" {
		switch r.Header.Get("Depth") {
		case "infinity":
			w.Header().Set("Content-Type", "application/xml; charset=utf-8")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="utf-8"?>`+"\n"+`<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>`+"\n")
			return
		case "":
			// RFC 4918 reads a missing Depth as infinity; a listing of a
			// whole workgroup is never what is meant: serve depth 1.
			r.Header.Set("Depth", "1")
		}
	}
	st := &reqState{method: r.Method, size: -1}
	if r.Method == http.MethodPut {
		st.body = &bodyWatch{rc: r.Body}
		st.size = r.ContentLength
		r.Body = st.body
	} else if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxXMLBody)
	}
	ctx = withState(ctx, st)
	if r.Method == http.MethodPut {
		// PUT answers 204 instead of 201 when it replaces a file.
		if fi, err := h.fs.stat(ctx, t); err == nil && !fi.IsDir {
			st.existed = true
		}
	}
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && h.serveListing(ctx, w, r, t) {
		return
	}
	if r.Method == "PROPFIND" && !h.xnetPropfind {
		h.servePropfind(ctx, w, r, t)
		return
	}
	r = r.WithContext(ctx)
	h.dav.ServeHTTP(&statusWriter{ResponseWriter: w, st: st}, r)
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
	if u.Host != "" && u.Host != r.Host {
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

func (h *Handler) authorized(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	if !ok {
		return false
	}
	uh, ph := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
	okUser := subtle.ConstantTimeCompare(uh[:], h.user[:])
	okPass := subtle.ConstantTimeCompare(ph[:], h.token[:])
	return okUser&okPass == 1
}

// loopbackHost reports whether a Host header names the loopback: a
// rebinding attack sends the attacker's own name.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackOrigin reports whether an Origin header names a page served
// from the loopback.
func loopbackOrigin(o string) bool {
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && loopbackHost(u.Host)
}

func refuse(w http.ResponseWriter, code int, format string, args ...any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, "%s: %s\n", http.StatusText(code), fmt.Sprintf(format, args...))
}
