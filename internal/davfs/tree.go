package davfs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
)

// maxTreeItems bounds one COPY, MOVE or DELETE walk.
const maxTreeItems = 1 << 20

// treeItem is one file or folder of a walked tree; rel is relative to the
// walk's root ("" for the root itself).
type treeItem struct {
	rel string
	fi  FileInfo
}

// leftOut is an entry a walk will not carry, and why.
type leftOut struct {
	t   Target
	why string
}

// walkMode says what a walk refuses besides what the gateway cannot
// serve: moving or deleting refuses every link (its content is not the
// folder's); copying follows links to files.
type walkMode int

const (
	walkCopy walkMode = iota
	walkMove
)

// child returns the target of rel below t.
func child(t Target, rel string) Target {
	if rel == "" {
		return t
	}
	if t.Path == "" {
		t.Path = rel
	} else {
		t.Path += "/" + rel
	}
	return t
}

// listFull lists a folder with every entry (Skip set on those not
// served).
func (h *Handler) listFull(ctx context.Context, t Target) ([]FileInfo, error) {
	if fl, ok := h.b.(FullLister); ok {
		return fl.ReadDirFull(ctx, t.Node, t.Share, t.Path)
	}
	all, err := h.b.ReadDir(ctx, t.Node, t.Share, t.Path)
	for i := range all {
		if CheckName(all[i].Name) != nil {
			all[i].Skip = skipName
		}
	}
	return all, err
}

// walk lists the tree at t (root first, parents before children) and
// what it cannot carry. A file gives one item.
func (h *Handler) walk(ctx context.Context, t Target, root FileInfo, mode walkMode) ([]treeItem, []leftOut, error) {
	items := []treeItem{{"", root}}
	var left []leftOut
	if root.Link && mode == walkMove {
		return items, []leftOut{{t, "a symbolic link: moving or deleting it here would act on its target"}}, nil
	}
	if !root.IsDir {
		return items, nil, nil
	}
	for i := 0; i < len(items); i++ {
		it := items[i]
		if !it.fi.IsDir {
			continue
		}
		dir := child(t, it.rel)
		ents, err := h.listFull(ctx, dir)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range ents {
			rel := path.Join(it.rel, e.Name)
			ct := child(t, rel)
			switch {
			case e.Skip != "":
				left = append(left, leftOut{ct, e.Skip})
				continue
			case e.Link && (mode == walkMove || e.IsDir):
				left = append(left, leftOut{ct, "a symbolic link (to a folder, or moved or deleted)"})
				continue
			case len(items) >= maxTreeItems:
				return nil, nil, fmt.Errorf("%s: more than %d files and folders: %w", t, maxTreeItems, fs.ErrPermission)
			}
			items = append(items, treeItem{rel, e})
		}
	}
	return items, left, nil
}

// tempSibling returns a fresh name beside t for building a tree before it
// replaces t.
func tempSibling(t Target) Target {
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := ".~peerhood-" + hex.EncodeToString(b[:])
	if d := path.Dir(t.Path); d != "." {
		name = d + "/" + name
	}
	t.Path = name
	return t
}

// copyItems writes items read below src to the same places below dst.
func (h *Handler) copyItems(ctx context.Context, src, dst Target, items []treeItem) error {
	for _, it := range items {
		s, d := child(src, it.rel), child(dst, it.rel)
		if it.fi.IsDir {
			if err := h.b.Mkdir(ctx, d.Node, d.Share, d.Path); err != nil {
				return fmt.Errorf("make folder %s: %w", d, err)
			}
			continue
		}
		if err := h.copyFile(ctx, s, d, it.fi.Size); err != nil {
			return err
		}
	}
	return nil
}

func (h *Handler) copyFile(ctx context.Context, s, d Target, size int64) error {
	r, err := h.b.Open(ctx, s.Node, s.Share, s.Path)
	if err != nil {
		return fmt.Errorf("read %s: %w", s, err)
	}
	defer r.Close()
	var w WriteHandle
	if sc, ok := h.b.(SizedCreator); ok {
		w, err = sc.CreateSized(ctx, d.Node, d.Share, d.Path, size)
	} else {
		w, err = h.b.Create(ctx, d.Node, d.Share, d.Path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", d, err)
	}
	if _, err := io.Copy(w, io.NewSectionReader(r, 0, size)); err != nil {
		_ = w.Abort()
		return fmt.Errorf("copy %s to %s: %w", s, d, err)
	}
	if err := w.Commit(); err != nil {
		return fmt.Errorf("write %s: %w", d, err)
	}
	return nil
}

// removeItems removes the walked items below t, children first: files one
// by one, folders only when empty, so nothing the walk did not see (a
// file that appeared since, an entry the gateway cannot serve) goes.
// It returns what it could not remove.
func (h *Handler) removeItems(ctx context.Context, t Target, items []treeItem) []leftOut {
	rm, _ := h.b.(Remover)
	var failed []leftOut
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		c := child(t, it.rel)
		var err error
		switch {
		case c.Level() < 3:
			continue
		case it.fi.IsDir && rm != nil:
			err = rm.RemoveOne(ctx, c.Node, c.Share, c.Path)
		case it.fi.IsDir:
			err = fmt.Errorf("this backend cannot remove a folder only when empty: %w", fs.ErrPermission)
		default:
			err = h.b.RemoveAll(ctx, c.Node, c.Share, c.Path)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			failed = append(failed, leftOut{c, publicError(err)})
		}
	}
	return failed
}

// checkDeleteTree refuses (207, and reports false) the DELETE of a
// folder that holds files under names the gateway does not serve: they
// are user data nobody using WebDAV has seen. Links, pipes and devices
// hold no data of the share and go with their folder.
func (h *Handler) checkDeleteTree(ctx context.Context, w http.ResponseWriter, t Target) bool {
	fi, err := h.fs.stat(ctx, t)
	if err != nil || !fi.IsDir || fi.Link {
		return true // x/net answers
	}
	_, left, err := h.walk(ctx, t, fi, walkCopy)
	if err != nil {
		refuseErr(w, err, http.StatusNotFound)
		return false
	}
	var hidden []leftOut
	for _, l := range left {
		if l.why == skipName || l.why == skipTemp {
			hidden = append(hidden, l)
		}
	}
	if len(hidden) > 0 {
		writeMultistatus(w, hidden, http.StatusForbidden,
			"not deleted: the folder holds files WebDAV cannot show; remove or rename them on their node first")
		return false
	}
	return true
}
