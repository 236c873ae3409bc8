package share

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"path/filepath"

	"github.com/peerhood/peerhood/internal/apitypes"
)

// remoteFS is DestFS over a share of another member (put's destination).
type remoteFS struct {
	ctx   context.Context
	c     *Client
	share string
}

// Kind implements DestFS.
func (r remoteFS) Kind(p string) (bool, bool, error) {
	e, err := r.c.Stat(r.ctx, r.share, p)
	if (errors.Is(err, ErrNotFound) || errors.Is(err, fs.ErrNotExist)) && p != "." {
		return false, false, nil // (a share's root not found: no such share)
	}
	if err != nil {
		return false, false, err
	}
	return true, e.Dir, nil
}

// MkdirAll implements DestFS (the files protocol's mkdir makes parents).
func (r remoteFS) MkdirAll(p string) error { return r.c.Mkdir(r.ctx, r.share, p) }

// transferDest applies the destination rules (dest.go) to a get or put:
// the local path a get writes, or the share path a put writes.
func transferDest(ctx context.Context, c *Client, t Target, req apitypes.FilesRequest, put bool) (string, error) {
	if put {
		typed := t.Path
		if FolderSyntax(req.Target) {
			typed += "/"
		}
		rfs := remoteFS{ctx, c, t.Share}
		dst, err := Dest(rfs, typed, filepath.Base(req.Local), path.Join)
		if err != nil {
			return "", err
		}
		shown := Target{Node: t.Node, Share: t.Share, Path: dst}.String()
		return dst, NoClobber(rfs, dst, shown, req.NoClobber)
	}
	name := "" // a share's root has no name of its own
	if t.Path != "." {
		name = baseName(t.Path)
	}
	dst, err := Dest(LocalFS{}, req.Local, name, filepath.Join)
	if err != nil {
		return "", err
	}
	if name == "" && !req.NoClobber {
		return dst, nil
	}
	return dst, NoClobber(LocalFS{}, dst, dst, req.NoClobber)
}
