package share

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"

	"github.com/peerhood/peerhood/internal/workgroup"
)

// CheckWrite returns nil when member m (the sender of a queued copy) may
// write into this node's share name, else an error whose text is the
// reason to tell m ("bravo's share docs is read-only for you"). A share
// m may not see, or of another workgroup, is reported as not found.
func (s *Service) CheckWrite(ctx context.Context, m workgroup.Member, name string) error {
	owner := "this node"
	if self, ok := s.dir.Self(m.Workgroup); ok {
		owner = self.Name
	}
	cfg, err := s.configs.Get(ctx, name)
	if err != nil || cfg.Workgroup != m.Workgroup {
		return fmt.Errorf("%w: %s has no share %q", ErrNotFound, owner, name)
	}
	r := RightOf(cfg.Rules, m)
	switch {
	case !r.CanRead():
		return fmt.Errorf("%w: %s has no share %q", ErrNotFound, owner, name)
	case !r.CanWrite():
		return fmt.Errorf("%w: %s's share %s is read-only for you", ErrForbidden, owner, name)
	}
	return nil
}

// WriteFiles writes received files into share name as member m, after
// CheckWrite: file i is sizes[i] bytes read in turn from r, written to
// paths[i] (share-relative, checked with CleanPath) through os.Root as a
// temporary file renamed into place when complete, so no half file ever
// has the final name. Missing folders are created. An existing file is
// never replaced (ErrFileExists; ReplaceFiles replaces). On error the
// files already written are removed. It returns the canonical paths
// written.
func (s *Service) WriteFiles(ctx context.Context, m workgroup.Member, name string, paths []string, sizes []int64, r io.Reader) (written []string, err error) {
	return s.writeFiles(ctx, m, name, paths, sizes, r, false)
}

// ReplaceFiles is WriteFiles replacing existing files (the default of a
// copy into a share, as of get and put: share/dest.go); each is replaced
// at once, by a rename. On error the files it created are removed; those
// it replaced keep their new content.
func (s *Service) ReplaceFiles(ctx context.Context, m workgroup.Member, name string, paths []string, sizes []int64, r io.Reader) (written []string, err error) {
	return s.writeFiles(ctx, m, name, paths, sizes, r, true)
}

func (s *Service) writeFiles(ctx context.Context, m workgroup.Member, name string, paths []string, sizes []int64, r io.Reader, replace bool) (written []string, err error) {
	if len(paths) != len(sizes) {
		return nil, errors.New("share: paths and sizes differ in length")
	}
	if err := s.CheckWrite(ctx, m, name); err != nil {
		return nil, err
	}
	clean := make([]string, len(paths))
	for i, p := range paths {
		cp, err := CleanPath(p)
		if err != nil {
			return nil, err
		}
		if cp == "." {
			return nil, fmt.Errorf("%w: cannot write over the share itself", ErrBadPath)
		}
		clean[i] = cp
	}
	l, _, err := s.OpenShare(ctx, name)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	replaced := map[string]bool{}
	defer func() {
		if err != nil {
			for _, p := range written {
				if !replaced[p] {
					_ = l.root.Remove(p)
				}
			}
			written = nil
		}
	}()
	for i, cp := range clean {
		if err := ctx.Err(); err != nil {
			return written, err
		}
		if fi, err := l.root.Lstat(cp); err == nil {
			if fi.IsDir() {
				return written, fmt.Errorf("%w: %s/%s is a folder in %s's share", ErrFileExists, name, cp, owner(s, m))
			}
			if !replace {
				return written, fmt.Errorf("%s/%s %w in %s's share (the copy was sent with --no-clobber)", name, cp, ErrFileExists, owner(s, m))
			}
			replaced[cp] = true
		} else if !errors.Is(err, fs.ErrNotExist) {
			return written, err
		}
		if d := path.Dir(cp); d != "." {
			if err := l.checkLink(d); err != nil {
				return written, err
			}
			if err := l.root.MkdirAll(d, 0o755); err != nil {
				return written, fmt.Errorf("create folder %s in share %s: %w", d, name, err)
			}
		}
		p, err := l.CreatePartial(cp, sizes[i], 0, false)
		if err != nil {
			return written, fmt.Errorf("write %s in share %s: %w", cp, name, err)
		}
		if n, err := io.CopyN(p.File(), r, sizes[i]); err != nil {
			p.Discard()
			return written, fmt.Errorf("write %s (%d of %d bytes): %w", cp, n, sizes[i], err)
		}
		if _, err := p.Commit(); err != nil {
			p.Discard()
			return written, fmt.Errorf("write %s in share %s: %w", cp, name, err)
		}
		written = append(written, cp)
	}
	return written, nil
}

// owner is this node's name in m's workgroup.
func owner(s *Service, m workgroup.Member) string {
	if self, ok := s.dir.Self(m.Workgroup); ok {
		return self.Name
	}
	return "this node"
}
