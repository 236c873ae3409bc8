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
)

// serveCopyMove serves COPY and MOVE (RFC 4918 9.8, 9.9), all or nothing
// where it matters:
//
//  1. Every precondition is checked before anything is written:
//     Overwrite, If-Match & co., the If header and the locks of source
//     and destination, the destination's parent.
//  2. A MOVE across shares or nodes, or a deep COPY, walks the source
//     first. An entry the gateway cannot carry (a name it refuses, a
//     link, a device or pipe) stops a MOVE before anything is written
//     (207 naming each); a COPY carries the rest and answers 207 naming
//     what it left out. An existing destination folder that holds such
//     entries is never overwritten (207).
//  3. A tree is built under a temporary name beside the destination and
//     renamed into place; the old destination is renamed aside first and
//     only then removed, so a failure leaves the destination as it was.
//  4. A MOVE across shares then removes from the source exactly what it
//     copied, files one by one and folders only when empty: what was not
//     carried is never deleted.
//
// Within one share a MOVE is a rename, which carries everything.
func (h *Handler) serveCopyMove(ctx context.Context, w http.ResponseWriter, r *http.Request, src, dst Target) {
	move := r.Method == "MOVE"
	p, ok := h.planCopyMove(ctx, w, r, src, dst)
	if !ok {
		return
	}
	stateOf(ctx).forget()
	if err := h.place(ctx, src, dst, p.sfi, p.dfi, p.dexists, p.rename, p.items, p.old); err != nil {
		refuseErr(w, err, http.StatusConflict)
		return
	}
	if h.fs.props != nil {
		if err := h.fs.props.copyTree(ctx, src, dst, move); err != nil {
			h.log.Warn("webdav: dead properties not carried", "from", src.String(), "to", dst.String(), "err", err)
		}
	}
	if move {
		h.locks.moved(lockName(src.String()))
		if !p.rename {
			if failed := h.removeItems(ctx, src, p.items); len(failed) > 0 {
				writeMultistatus(w, failed, http.StatusInternalServerError,
					"copied to the destination, but these could not be removed from the source")
				return
			}
		}
	}
	if len(p.left) > 0 {
		writeMultistatus(w, p.left, http.StatusForbidden, "not copied: WebDAV cannot carry these")
		return
	}
	if p.dexists {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// copyPlan is what a COPY or MOVE will do, decided before anything is
// written.
type copyPlan struct {
	sfi, dfi        FileInfo
	dexists, rename bool
	items, old      []treeItem // the source's and the old destination's trees
	left            []leftOut  // what a COPY leaves out
}

// planCopyMove checks every precondition and walks the trees; on a
// refusal it answers and reports false.
func (h *Handler) planCopyMove(ctx context.Context, w http.ResponseWriter, r *http.Request, src, dst Target) (copyPlan, bool) {
	var p copyPlan
	move := r.Method == "MOVE"
	deep := true
	switch r.Header.Get("Depth") {
	case "", "infinity":
	case "0":
		if move {
			refuse(w, http.StatusBadRequest, "MOVE takes Depth: infinity only")
			return p, false
		}
		deep = false
	default:
		refuse(w, http.StatusBadRequest, "bad Depth %q", r.Header.Get("Depth"))
		return p, false
	}
	var err error
	if p.sfi, err = h.fs.stat(ctx, src); err != nil {
		refuseErr(w, err, http.StatusNotFound)
		return p, false
	}
	if p.dfi, p.dexists, err = h.statMaybe(ctx, dst); err != nil {
		refuseErr(w, err, http.StatusConflict)
		return p, false
	}
	if p.dexists && r.Header.Get("Overwrite") == "F" {
		refuse(w, http.StatusPreconditionFailed, "%s exists and Overwrite is F", dst)
		return p, false
	}
	if code, err := h.checkParent(ctx, dst); err != nil {
		refuse(w, code, "%v", err)
		return p, false
	}
	if err := h.checkConditions(ctx, r, r.Method, src, &dst); err != nil {
		refuse(w, conditionStatus(err), "%v", err)
		return p, false
	}
	p.rename = move && src.Node == dst.Node && src.Share == dst.Share
	p.items = []treeItem{{"", p.sfi}}
	if !p.rename && deep {
		mode := walkCopy
		if move {
			mode = walkMove
		}
		if p.items, p.left, err = h.walk(ctx, src, p.sfi, mode); err != nil {
			refuseErr(w, err, http.StatusNotFound)
			return p, false
		}
		if move && len(p.left) > 0 {
			writeMultistatus(w, p.left, http.StatusForbidden,
				"not moved: nothing was written or deleted, because these cannot be carried by WebDAV")
			return p, false
		}
	}
	if p.dexists && (p.dfi.IsDir || p.dfi.Link) {
		var dleft []leftOut
		if p.old, dleft, err = h.walk(ctx, dst, p.dfi, walkMove); err != nil {
			refuseErr(w, err, http.StatusConflict)
			return p, false
		}
		if len(dleft) > 0 {
			writeMultistatus(w, dleft, http.StatusForbidden,
				"the destination was not overwritten: it holds these, which WebDAV cannot show and would delete")
			return p, false
		}
	}
	return p, true
}

// place puts the source's content (items) at dst: by rename within a
// share, else by writing a file in place (the backend's Create replaces
// atomically) or building a tree under a temporary name. An existing
// destination that a rename cannot replace is renamed aside first and
// removed (only the walked items old) once the new one is in place.
func (h *Handler) place(ctx context.Context, src, dst Target, sfi, dfi FileInfo, dexists, rename bool, items, old []treeItem) error {
	b := h.b
	built := src
	if !rename {
		if !sfi.IsDir && (!dexists || !dfi.IsDir && !dfi.Link) {
			return h.copyFile(ctx, src, dst, sfi.Size)
		}
		built = tempSibling(dst)
		if err := h.copyItems(ctx, src, built, items); err != nil {
			_ = b.RemoveAll(ctx, built.Node, built.Share, built.Path)
			return err
		}
	}
	undoBuilt := func() {
		if !rename {
			_ = b.RemoveAll(ctx, built.Node, built.Share, built.Path)
		}
	}
	if !dexists || (!dfi.IsDir && !sfi.IsDir && !dfi.Link) {
		if err := b.Rename(ctx, built.Node, built.Share, built.Path, dst.Path); err != nil {
			undoBuilt()
			return fmt.Errorf("put %s in place: %w", dst, err)
		}
		return nil
	}
	aside := tempSibling(dst)
	if err := b.Rename(ctx, dst.Node, dst.Share, dst.Path, aside.Path); err != nil {
		undoBuilt()
		return fmt.Errorf("move the old %s aside: %w", dst, err)
	}
	if err := b.Rename(ctx, built.Node, built.Share, built.Path, dst.Path); err != nil {
		_ = b.Rename(ctx, aside.Node, aside.Share, aside.Path, dst.Path)
		undoBuilt()
		return fmt.Errorf("put %s in place: %w", dst, err)
	}
	if failed := h.removeItems(ctx, aside, old); len(failed) > 0 {
		h.log.Warn("webdav: the replaced destination could not be removed whole", "kept", aside.String(), "first", failed[0].why)
	}
	return nil
}

// checkParent refuses a destination whose parent folder is missing.
func (h *Handler) checkParent(ctx context.Context, dst Target) (int, error) {
	if dst.Level() < 3 {
		return 0, nil
	}
	d := path.Dir(dst.Path)
	if d == "." {
		return 0, nil
	}
	p := dst
	p.Path = d
	fi, err := h.fs.stat(ctx, p)
	if err != nil || !fi.IsDir {
		return http.StatusConflict, fmt.Errorf("the destination's folder %s does not exist", p)
	}
	return 0, nil
}

// refuseErr answers err with its status (notExist when it means "not
// found").
func refuseErr(w http.ResponseWriter, err error, notExist int) {
	code := statusFor(err)
	if code == 0 && errors.Is(err, fs.ErrNotExist) {
		code = notExist
	}
	if code == 0 && errors.Is(err, fs.ErrExist) {
		code = http.StatusConflict
	}
	if code == 0 {
		code = http.StatusInternalServerError
	}
	refuse(w, code, "%s", publicError(err))
}

// writeMultistatus answers 207 with one response per entry.
func writeMultistatus(w http.ResponseWriter, entries []leftOut, code int, summary string) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<D:multistatus xmlns:D="DAV:">`)
	for _, e := range entries {
		href := (&url.URL{Path: e.t.String()}).EscapedPath()
		fmt.Fprintf(&b, "<D:response><D:href>%s</D:href><D:status>HTTP/1.1 %d %s</D:status><D:responsedescription>%s</D:responsedescription></D:response>",
			escapeText(href), code, http.StatusText(code), escapeText(e.why))
	}
	fmt.Fprintf(&b, "<D:responsedescription>%s</D:responsedescription></D:multistatus>\n", escapeText(summary))
	_, _ = w.Write([]byte(b.String()))
}
