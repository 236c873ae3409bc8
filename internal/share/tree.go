package share

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// GetTree downloads folder share/path into the local folder local
// (created), file by file with GetFile.
func GetTree(ctx context.Context, c *Client, share, path, local string, o TransferOptions) (Result, error) {
	start := time.Now()
	var total Result
	var walk func(rp, lp string) error
	walk = func(rp, lp string) error {
		if err := os.MkdirAll(lp, 0o755); err != nil {
			return err
		}
		es, err := c.ReadDir(ctx, share, rp)
		if err != nil {
			return err
		}
		for _, e := range es {
			if err := CheckName(e.Name); err != nil {
				return fmt.Errorf("remote name %q: %w", e.Name, err)
			}
			r, l := joinPath(rp, e.Name), filepath.Join(lp, e.Name)
			if e.Dir {
				if err := walk(r, l); err != nil {
					return err
				}
				continue
			}
			res, err := GetFile(ctx, c, share, r, l, o)
			total.add(res)
			if err != nil {
				return err
			}
		}
		return nil
	}
	err := walk(path, local)
	total.Seconds = time.Since(start).Seconds()
	return total, err
}

// PutTree uploads the local folder local to share/path (created), file by
// file with PutFile. Symlinks and special files are skipped.
func PutTree(ctx context.Context, c *Client, local, share, path string, o TransferOptions) (Result, error) {
	start := time.Now()
	var total Result
	err := filepath.WalkDir(local, func(lp string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(local, lp)
		if err != nil {
			return err
		}
		rp, err := CleanPath(joinPath(path, filepath.ToSlash(rel)))
		if err != nil {
			return fmt.Errorf("%s: %w", lp, err)
		}
		switch {
		case d.IsDir():
			return c.Mkdir(ctx, share, rp)
		case d.Type().IsRegular():
			res, err := PutFile(ctx, c, lp, share, rp, o)
			total.add(res)
			return err
		}
		return nil
	})
	total.Seconds = time.Since(start).Seconds()
	return total, err
}

func (r *Result) add(o Result) {
	r.Files += o.Files
	r.Bytes += o.Bytes
	r.Sent += o.Sent
	r.Retries += o.Retries
	r.ResumedFrom = o.ResumedFrom
	r.SHA256 = o.SHA256
}
