package davfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/peerhood/peerhood/internal/loopback"
)

// etagOf is a file's entity tag: its modification time and size (the
// same as x/net/webdav's default, so GET, PUT and PROPFIND agree).
func etagOf(fi FileInfo) string {
	return fmt.Sprintf(`"%x%x"`, fi.ModTime.UnixNano(), fi.Size)
}

// lockName is the name a lock system uses for a path.
func lockName(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	return path.Clean(p)
}

// condError is a precondition refusal with its status.
type condError struct {
	code int
	msg  string
}

func (e *condError) Error() string { return e.msg }

func precondFailed(format string, args ...any) error {
	return &condError{http.StatusPreconditionFailed, fmt.Sprintf(format, args...)}
}

// statMaybe stats t; exists is false when it is not there.
func (h *Handler) statMaybe(ctx context.Context, t Target) (FileInfo, bool, error) {
	fi, err := h.fs.stat(ctx, t)
	if errors.Is(err, fs.ErrNotExist) {
		return FileInfo{}, false, nil
	}
	return fi, err == nil, err
}

// checkHTTPConditions applies RFC 9110 13.2.2 to a state-changing
// request on t: If-Match, then If-Unmodified-Since (without If-Match),
// then If-None-Match; a false condition is 412.
func (h *Handler) checkHTTPConditions(ctx context.Context, r *http.Request, t Target) error {
	im, ius, inm := r.Header.Get("If-Match"), r.Header.Get("If-Unmodified-Since"), r.Header.Get("If-None-Match")
	if im == "" && ius == "" && inm == "" {
		return nil
	}
	fi, exists, err := h.statMaybe(ctx, t)
	if err != nil {
		return err
	}
	cur := ""
	if exists {
		cur = etagOf(fi)
	}
	if im != "" {
		if !matchETags(im, cur, exists, true) {
			return precondFailed("If-Match %s: the current entity tag is %s", im, orNone(cur))
		}
	} else if ius != "" && exists {
		since, err := http.ParseTime(ius)
		if err == nil && fi.ModTime.Truncate(time.Second).After(since) {
			return precondFailed("If-Unmodified-Since %s: modified %s", ius, fi.ModTime.UTC().Format(http.TimeFormat))
		}
	}
	if inm != "" && matchETags(inm, cur, exists, false) {
		if strings.TrimSpace(inm) == "*" {
			// If-None-Match: * is WebDAV's --no-clobber (share/dest.go).
			return precondFailed("%s exists (If-None-Match: * refuses to replace it)", t)
		}
		return precondFailed("If-None-Match %s: the resource matches (entity tag %s)", inm, orNone(cur))
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none (no such resource)"
	}
	return s
}

// matchETags reports whether the list ("*" or entity tags) matches the
// current tag; strong comparison refuses weak tags.
func matchETags(list, cur string, exists, strong bool) bool {
	list = strings.TrimSpace(list)
	if list == "*" {
		return exists
	}
	if !exists {
		return false
	}
	for _, tag := range strings.Split(list, ",") {
		tag = strings.TrimSpace(tag)
		weak := strings.HasPrefix(tag, "W/")
		if weak {
			if strong {
				continue
			}
			tag = tag[2:]
		}
		if tag == strings.TrimPrefix(cur, "W/") {
			return true
		}
	}
	return false
}

// lockScope says which locks a method must hold the tokens of.
type lockScope struct {
	name       string
	deep       bool // the change reaches everything below name
	membership bool // name appears or disappears in its parent
}

// lockScopes lists what method changes; dst is the Destination of COPY
// and MOVE.
func lockScopes(method string, src Target, dst *Target) []lockScope {
	s := lockName(src.String())
	switch method {
	case http.MethodPut, "MKCOL":
		return []lockScope{{s, false, true}}
	case http.MethodDelete:
		return []lockScope{{s, true, true}}
	case "PROPPATCH":
		return []lockScope{{s, false, false}}
	case "MOVE":
		return []lockScope{{s, true, true}, {lockName(dst.String()), true, true}}
	case "COPY":
		return []lockScope{{lockName(dst.String()), true, true}}
	}
	return nil
}

// checkIfHeader evaluates the WebDAV If header (RFC 4918 10.4): lock
// tokens and entity tags, each list about the request's resource or the
// one its tag names. No true list: 412. Then every lock the change meets
// must be named by a token in the header: otherwise 423.
func (h *Handler) checkIfHeader(ctx context.Context, r *http.Request, method string, src Target, dst *Target) error {
	var tokens map[string]bool
	if hdr := r.Header.Get("If"); hdr != "" {
		lists, err := parseIf(hdr)
		if err != nil {
			return &condError{http.StatusBadRequest, err.Error()}
		}
		ok := false
		for _, l := range lists {
			if h.ifListTrue(ctx, r, l, src) {
				ok = true
				break
			}
		}
		if !ok {
			return precondFailed("If header: no list of conditions holds")
		}
		tokens = ifTokens(lists)
	}
	now := time.Now()
	for _, sc := range lockScopes(method, src, dst) {
		if l, ok := satisfied(h.locks.blocking(now, sc.name, sc.deep, sc.membership), tokens); !ok {
			return &condError{http.StatusLocked, fmt.Sprintf("%s is locked: send its lock token in an If header", l.details.Root)}
		}
	}
	return nil
}

// ifListTrue evaluates one list of an If header.
func (h *Handler) ifListTrue(ctx context.Context, r *http.Request, l ifList, src Target) bool {
	res := src
	if l.tag != "" {
		u, err := url.Parse(l.tag)
		if err != nil || (u.Host != "" && !loopback.SameServer(r, u.Host)) {
			return false
		}
		if res, err = checkURLPath(u); err != nil {
			return false
		}
	}
	name := lockName(res.String())
	var cur string
	var exists bool
	for _, c := range l.conds {
		var v bool
		if c.token != "" {
			v = h.locks.tokenCovers(time.Now(), c.token, name)
		} else {
			if cur == "" && !exists {
				if fi, ok, _ := h.statMaybe(ctx, res); ok {
					cur, exists = etagOf(fi), true
				}
			}
			v = exists && c.etag == cur
		}
		if v == c.not {
			return false
		}
	}
	return true
}

// checkConditions runs every precondition of a state-changing request:
// the HTTP ones, then the WebDAV If header and the locks.
func (h *Handler) checkConditions(ctx context.Context, r *http.Request, method string, src Target, dst *Target) error {
	if err := h.checkHTTPConditions(ctx, r, src); err != nil {
		return err
	}
	return h.checkIfHeader(ctx, r, method, src, dst)
}

// conditionStatus is the status for an error of checkConditions.
func conditionStatus(err error) int {
	var ce *condError
	if errors.As(err, &ce) {
		return ce.code
	}
	if code := statusFor(err); code != 0 {
		return code
	}
	return http.StatusBadGateway
}
