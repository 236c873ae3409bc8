package davfs

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/webdav"
)

// LOCK is served here (x/net/webdav answers 501 to shared locks, 500 to a
// lock-null resource whose folder is missing, and always says exclusive
// in its answer).

// lockInfo is a LOCK body (RFC 4918 14.11).
type lockInfo struct {
	XMLName   xml.Name  `xml:"lockinfo"`
	Exclusive *struct{} `xml:"lockscope>exclusive"`
	Shared    *struct{} `xml:"lockscope>shared"`
	Write     *struct{} `xml:"locktype>write"`
	Owner     struct {
		InnerXML string `xml:",innerxml"`
	} `xml:"owner"`
}

// serveLock creates a lock (a body) or refreshes one (no body, the token
// in the If header).
func (h *Handler) serveLock(ctx context.Context, w http.ResponseWriter, r *http.Request, t Target) {
	d := clampTimeout(-1)
	if s, ok := strings.CutPrefix(r.Header.Get("Timeout"), "Second-"); ok {
		if n, err := strconv.Atoi(s); err == nil {
			d = clampTimeout(time.Duration(n) * time.Second)
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		refuse(w, http.StatusBadRequest, "LOCK body: %v", err)
		return
	}
	name := lockName(t.String())
	if len(strings.TrimSpace(string(body))) == 0 {
		h.refreshLock(w, r, name, d)
		return
	}
	var li lockInfo
	if err := xml.Unmarshal(body, &li); err != nil || li.Write == nil || (li.Exclusive == nil) == (li.Shared == nil) {
		refuse(w, http.StatusBadRequest, "LOCK body: want a lockinfo with a write locktype and one lockscope")
		return
	}
	zero := false
	switch r.Header.Get("Depth") {
	case "", "infinity":
	case "0":
		zero = true
	default:
		refuse(w, http.StatusBadRequest, "LOCK Depth %q: use 0 or infinity", r.Header.Get("Depth"))
		return
	}
	ld := webdav.LockDetails{Root: name, Duration: d, OwnerXML: li.Owner.InnerXML, ZeroDepth: zero}
	created, code, err := h.lockNull(ctx, t)
	if err != nil {
		refuse(w, code, "%v", err)
		return
	}
	tok, err := h.locks.createLock(time.Now(), ld, li.Shared != nil)
	if err != nil {
		refuse(w, http.StatusLocked, "%s is locked", t)
		return
	}
	w.Header().Set("Lock-Token", "<"+tok+">")
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	if created {
		w.WriteHeader(http.StatusCreated)
	}
	writeActiveLock(w, tok, ld, li.Shared != nil)
}

// lockNull creates an empty file for a LOCK of a missing name.
func (h *Handler) lockNull(ctx context.Context, t Target) (bool, int, error) {
	_, exists, err := h.statMaybe(ctx, t)
	if err != nil || exists {
		return false, statusOr(err, http.StatusInternalServerError), err
	}
	if code, err := h.checkParent(ctx, t); err != nil {
		return false, code, err
	}
	if t.Level() < 3 {
		return false, http.StatusForbidden, fmt.Errorf("%s: %w", t, fs.ErrPermission)
	}
	wh, err := h.b.Create(ctx, t.Node, t.Share, t.Path)
	if err == nil {
		err = wh.Commit()
	}
	if err != nil {
		return false, statusOr(err, http.StatusConflict), err
	}
	stateOf(ctx).forget()
	return true, 0, nil
}

func statusOr(err error, def int) int {
	if c := statusFor(err); c != 0 {
		return c
	}
	return def
}

// refreshLock renews the lock on name whose token the If header names.
func (h *Handler) refreshLock(w http.ResponseWriter, r *http.Request, name string, d time.Duration) {
	lists, err := parseIf(r.Header.Get("If"))
	if err != nil {
		refuse(w, http.StatusBadRequest, "LOCK refresh: %v", err)
		return
	}
	now := time.Now()
	for tok := range ifTokens(lists) {
		if !h.locks.tokenCovers(now, tok, name) {
			continue
		}
		ld, shared, err := h.locks.refresh(now, tok, d)
		if err != nil {
			continue
		}
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		writeActiveLock(w, tok, ld, shared)
		return
	}
	refuse(w, http.StatusPreconditionFailed, "LOCK refresh: no lock of %s is named in the If header", name)
}

// writeActiveLock writes the lockdiscovery answer of a LOCK.
func writeActiveLock(w io.Writer, tok string, ld webdav.LockDetails, shared bool) {
	depth, scope := "infinity", "exclusive"
	if ld.ZeroDepth {
		depth = "0"
	}
	if shared {
		scope = "shared"
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?>`+"\n"+
		`<D:prop xmlns:D="DAV:"><D:lockdiscovery><D:activelock><D:locktype><D:write/></D:locktype>`+
		`<D:lockscope><D:%s/></D:lockscope><D:depth>%s</D:depth><D:owner>%s</D:owner><D:timeout>Second-%d</D:timeout>`+
		`<D:locktoken><D:href>%s</D:href></D:locktoken><D:lockroot><D:href>%s</D:href></D:lockroot>`+
		`</D:activelock></D:lockdiscovery></D:prop>`,
		scope, depth, ld.OwnerXML, ld.Duration/time.Second, escapeText(tok), escapeText(ld.Root))
}
