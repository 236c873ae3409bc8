package davfs

import (
	"context"
	"net/http"
)

// OPTIONS and methods the gateway does not serve. Every OPTIONS answer
// carries "DAV: 1, 2" (class 2: locks, which macOS Finder and Windows
// need to mount read-write) and "MS-Author-Via: DAV" (Windows' WebDAV
// redirector and Office look for it). Allow names what the resource
// takes; in a read-only share only the reading methods.

const (
	allowRead     = "OPTIONS, GET, HEAD, PROPFIND"
	allowFolder   = "OPTIONS, GET, HEAD, LOCK, DELETE, PROPPATCH, COPY, MOVE, UNLOCK, PROPFIND"
	allowFile     = "OPTIONS, GET, HEAD, POST, LOCK, DELETE, PROPPATCH, COPY, MOVE, UNLOCK, PROPFIND, PUT"
	allowNotFound = "OPTIONS, LOCK, PUT, MKCOL"
)

// allowFor is the Allow header for t.
func (h *Handler) allowFor(ctx context.Context, t Target) string {
	if t.Level() >= 2 {
		if si, err := h.fs.findShare(ctx, t); err == nil && si.ReadOnly {
			return allowRead
		}
	}
	fi, err := h.fs.stat(ctx, t)
	switch {
	case err != nil && t.Level() >= 2:
		return allowNotFound
	case err != nil:
		return allowRead
	case fi.IsDir:
		return allowFolder
	}
	return allowFile
}

// serveOptions answers OPTIONS on t (any path: a client asks "/" first).
func (h *Handler) serveOptions(ctx context.Context, w http.ResponseWriter, t Target) {
	w.Header().Set("Allow", h.allowFor(ctx, t))
	w.Header().Set("DAV", "1, 2")
	w.Header().Set("MS-Author-Via", "DAV")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// serveUnknown answers a method the gateway does not serve (PATCH,
// BREW...): 403 in a read-only share (every change is refused there
// alike), else 405 with the methods it takes (not x/net's 400: the
// request is well formed; not 501, which would count as a server error).
func (h *Handler) serveUnknown(ctx context.Context, w http.ResponseWriter, r *http.Request, t Target) {
	if t.Level() >= 2 {
		if si, err := h.fs.findShare(ctx, t); err == nil && si.ReadOnly {
			refuse(w, http.StatusForbidden, "%s %s: %v", r.Method, t, ErrReadOnly)
			return
		}
	}
	w.Header().Set("Allow", h.allowFor(ctx, t))
	refuse(w, http.StatusMethodNotAllowed, "%s is not a method this WebDAV server serves", r.Method)
}
