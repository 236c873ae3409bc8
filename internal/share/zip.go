package share

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"

	"github.com/peerhood/peerhood/internal/api"
)

// treeSource is a folder tree to read: a member's share through a Client,
// or one of this node's own.
type treeSource interface {
	readDir(ctx context.Context, p string) ([]Entry, error)
	open(ctx context.Context, p string) (io.ReadCloser, error)
}

type remoteTree struct {
	c     *Client
	share string
}

func (r remoteTree) readDir(ctx context.Context, p string) ([]Entry, error) {
	return r.c.ReadDir(ctx, r.share, p)
}

func (r remoteTree) open(ctx context.Context, p string) (io.ReadCloser, error) {
	return r.c.OpenRead(ctx, r.share, p, 0, 0)
}

type localTree struct{ l *Local }

func (t localTree) readDir(_ context.Context, p string) ([]Entry, error) {
	var out []Entry
	err := t.l.ReadDir(p, 0, func(es []Entry) error { out = append(out, es...); return nil })
	return out, err
}

func (t localTree) open(_ context.Context, p string) (io.ReadCloser, error) {
	f, _, err := t.l.Open(p)
	return f, err
}

// serveZip streams the folder NODE:SHARE/path as a zip archive (stored,
// not compressed: the node's CPU is not spent on photos and archives).
// Each remote file is read through the same OpenRead as get. An error
// after the first byte aborts the connection, so the browser reports a
// failed download rather than keeping a truncated archive.
func serveZip(w http.ResponseWriter, r *http.Request, svc *Service) {
	q := r.URL.Query()
	t, err := ParseTarget(q.Get("target"))
	if err != nil || t.Share == "" {
		api.WriteError(w, api.BadRequest("target %q: want NODE:SHARE/folder", q.Get("target")))
		return
	}
	ctx := r.Context()
	var src treeSource
	if svc.IsSelf(q.Get("workgroup"), t.Node) {
		l, _, err := svc.OpenShare(ctx, t.Share)
		if err != nil {
			api.WriteError(w, apiError(err))
			return
		}
		defer l.Close()
		src = localTree{l}
	} else {
		c, _, err := svc.Remote(q.Get("workgroup"), t.Node)
		if err != nil {
			api.WriteError(w, apiError(err))
			return
		}
		src = remoteTree{c, t.Share}
	}
	top, err := src.readDir(ctx, t.Path)
	if err != nil {
		api.WriteError(w, apiError(err))
		return
	}
	base := t.Share
	if t.Path != "." {
		base = path.Base(t.Path)
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": base + ".zip"}))
	w.WriteHeader(http.StatusOK)
	zw := zip.NewWriter(w)
	if err := zipTree(ctx, zw, src, t.Path, base, top); err != nil || zw.Close() != nil {
		svc.log.Warn("zip download cut short", "target", t.String(), "err", err)
		panic(http.ErrAbortHandler) // net/http's way to cut the connection without a log line
	}
}

// zipTree adds the entries es of folder p under name prefix.
func zipTree(ctx context.Context, zw *zip.Writer, src treeSource, p, prefix string, es []Entry) error {
	for _, e := range es {
		if err := CheckName(e.Name); err != nil {
			return fmt.Errorf("remote name %q: %w", e.Name, err)
		}
		rp, name := joinPath(p, e.Name), prefix+"/"+e.Name
		hdr := &zip.FileHeader{Name: name, Method: zip.Store, Modified: e.ModTime()}
		if e.Dir {
			hdr.Name += "/"
			if _, err := zw.CreateHeader(hdr); err != nil {
				return err
			}
			sub, err := src.readDir(ctx, rp)
			if err != nil {
				return err
			}
			if err := zipTree(ctx, zw, src, rp, name, sub); err != nil {
				return err
			}
			continue
		}
		if err := zipFile(ctx, zw, src, rp, hdr); err != nil {
			return err
		}
	}
	return nil
}

func zipFile(ctx context.Context, zw *zip.Writer, src treeSource, rp string, hdr *zip.FileHeader) error {
	f, err := src.open(ctx, rp)
	if err != nil {
		return err
	}
	defer f.Close()
	out, err := zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, f)
	return err
}
