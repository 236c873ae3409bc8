package share

import (
	"context"
	"errors"
	"fmt"
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
		if req.Recursive && req.NoClobber {
			files, err := LocalFiles(req.Local)
			if err != nil {
				return "", err
			}
			shown := func(rel string) string {
				return Target{Node: t.Node, Share: t.Share, Path: joinPath(dst, rel)}.String()
			}
			return dst, NoClobberTree(rfs, dst, files, path.Join, shown, true)
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
	if req.Recursive && req.NoClobber {
		files, err := remoteFiles(ctx, c, t.Share, t.Path)
		if err != nil {
			return "", err
		}
		shown := func(rel string) string { return filepath.Join(dst, filepath.FromSlash(rel)) }
		return dst, NoClobberTree(LocalFS{}, dst, files, filepath.Join, shown, true)
	}
	if name == "" && !req.NoClobber {
		return dst, nil
	}
	return dst, NoClobber(LocalFS{}, dst, dst, req.NoClobber)
}

// List implements ListFS.
func (r remoteFS) List(p string) (map[string]bool, error) {
	es, err := r.c.ReadDir(r.ctx, r.share, p)
	if errors.Is(err, ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(es))
	for _, e := range es {
		out[e.Name] = e.Dir
	}
	return out, nil
}

// remoteFiles lists the files under folder root of a member's share, as
// slash-separated paths relative to root (what GetTree fetches).
func remoteFiles(ctx context.Context, c *Client, share, root string) ([]string, error) {
	var out []string
	var walk func(rel string) error
	walk = func(rel string) error {
		p := root
		if rel != "" {
			p = joinPath(root, rel)
		}
		es, err := c.ReadDir(ctx, share, p)
		if err != nil {
			return err
		}
		for _, e := range es {
			if err := CheckName(e.Name); err != nil {
				return fmt.Errorf("remote name %q: %w", e.Name, err)
			}
			if e.Dir {
				if err := walk(joinPath(rel, e.Name)); err != nil {
					return err
				}
				continue
			}
			out = append(out, joinPath(rel, e.Name))
		}
		return nil
	}
	return out, walk("")
}
