package davfs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/peerhood/peerhood/internal/identity"
)

// LocalBackend serves folders of this machine as the shares of one node,
// every access through os.Root: no path, ".." or symlink leaves a share.
type LocalBackend struct {
	node   string
	alias  func(string) bool // when set, which node names are this one (ShareBackend.isSelf)
	mu     sync.RWMutex
	shares map[string]*localShare
}

type localShare struct {
	info ShareInfo
	root *os.Root
}

// NewLocalBackend returns a backend with no shares for the node named node.
func NewLocalBackend(node string) *LocalBackend {
	return &LocalBackend{node: node, shares: map[string]*localShare{}}
}

// Add serves the folder dir as share name. It replaces a share of the same
// name.
func (b *LocalBackend) Add(name, dir string, readOnly bool) error {
	if err := CheckName(name); err != nil {
		return fmt.Errorf("share name: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("share %s: %w", name, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if old := b.shares[name]; old != nil {
		old.root.Close()
	}
	b.shares[name] = &localShare{info: ShareInfo{Name: name, ReadOnly: readOnly}, root: root}
	return nil
}

// Remove stops serving a share.
func (b *LocalBackend) Remove(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s := b.shares[name]; s != nil {
		s.root.Close()
		delete(b.shares, name)
	}
}

// Close closes every share's root.
func (b *LocalBackend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for n, s := range b.shares {
		s.root.Close()
		delete(b.shares, n)
	}
	return nil
}

// Node returns the node name this backend serves.
func (b *LocalBackend) Node() string { return b.node }

// Nodes returns this node only.
func (b *LocalBackend) Nodes(ctx context.Context) ([]string, error) {
	return []string{b.node}, nil
}

// Shares lists the shares, sorted by name.
func (b *LocalBackend) Shares(ctx context.Context, node string) ([]ShareInfo, error) {
	if !b.isNode(node) {
		return nil, fmt.Errorf("node %q: %w", node, fs.ErrNotExist)
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]ShareInfo, 0, len(b.shares))
	for _, s := range b.shares {
		out = append(out, s.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (b *LocalBackend) isNode(node string) bool {
	if b.alias != nil {
		return b.alias(node)
	}
	return identity.CanonicalName(node) == identity.CanonicalName(b.node)
}

func (b *LocalBackend) share(node, share string, write bool) (*localShare, error) {
	if !b.isNode(node) {
		return nil, fmt.Errorf("node %q: %w", node, fs.ErrNotExist)
	}
	b.mu.RLock()
	s := b.shares[share]
	b.mu.RUnlock()
	if s == nil {
		return nil, fmt.Errorf("share %s/%s: %w", node, share, fs.ErrNotExist)
	}
	if write && s.info.ReadOnly {
		return nil, fmt.Errorf("share %s/%s: %w", node, share, ErrReadOnly)
	}
	return s, nil
}

// rel checks a share-relative path again (defence in depth) and turns it
// into the form os.Root takes.
func rel(p string) (string, error) {
	if p == "" {
		return ".", nil
	}
	for _, c := range strings.Split(p, "/") {
		if err := CheckName(c); err != nil {
			return "", err
		}
	}
	return filepath.FromSlash(p), nil
}

// localErr maps OS errors to the ones davfs understands, keeping the
// original wrapped. A path that os.Root refuses as escaping the share is
// reported as not found, revealing nothing about what lies outside.
func localErr(op, p string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Err != nil && strings.Contains(pe.Err.Error(), "path escapes") {
		return fmt.Errorf("%s %s: %w", op, p, fs.ErrNotExist)
	}
	if errors.As(err, &pe) {
		// Report the share-relative path, never the host path.
		err = pe.Err
	}
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%s %s: %w: %w", op, p, ErrNoSpace, err)
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%s %s: %w: %w", op, p, ErrReadOnly, err)
	case errors.Is(err, syscall.ENOTEMPTY):
		return fmt.Errorf("%s %s: %w: %w", op, p, ErrNotEmpty, err)
	case errors.Is(err, syscall.ELOOP):
		return fmt.Errorf("%s %s: %w", op, p, fs.ErrNotExist)
	}
	return fmt.Errorf("%s %s: %w", op, p, err)
}

func localInfo(name string, fi fs.FileInfo) FileInfo {
	return FileInfo{Name: name, Size: fi.Size(), ModTime: fi.ModTime(), IsDir: fi.IsDir()}
}

// Stat describes a file or folder, following symlinks that stay inside.
// Anything but a regular file or a folder is reported as not found.
func (b *LocalBackend) Stat(ctx context.Context, node, share, p string) (FileInfo, error) {
	s, err := b.share(node, share, false)
	if err != nil {
		return FileInfo{}, err
	}
	r, err := rel(p)
	if err != nil {
		return FileInfo{}, err
	}
	fi, err := s.root.Stat(r)
	if err != nil {
		return FileInfo{}, localErr("stat", p, err)
	}
	if !fi.IsDir() && !fi.Mode().IsRegular() {
		return FileInfo{}, fmt.Errorf("stat %s: not a regular file: %w", p, fs.ErrNotExist)
	}
	name := path.Base(p)
	if p == "" {
		name = share
	}
	out := localInfo(name, fi)
	out.Created = s.birth(r)
	if li, err := s.root.Lstat(r); err == nil && li.Mode()&fs.ModeSymlink != 0 {
		out.Link = true
	}
	return out, nil
}

// ReadDir lists a folder. Entries that cannot be addressed (names
// ParsePath refuses, temp files, symlinks leaving the share, devices) are
// left out.
func (b *LocalBackend) ReadDir(ctx context.Context, node, share, p string) ([]FileInfo, error) {
	all, err := b.ReadDirFull(ctx, node, share, p)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, e := range all {
		if e.Skip == "" {
			out = append(out, e)
		}
	}
	return out, nil
}

// Reasons a listing entry is not served.
const (
	skipName    = "a name the gateway does not serve"
	skipLink    = "a symbolic link that leads outside the share or nowhere"
	skipSpecial = "not a regular file or folder (a device, pipe or socket)"
	skipTemp    = "a file being written"
)

// ReadDirFull implements FullLister: every entry, with Skip set on those
// ReadDir leaves out and Link on symbolic links.
func (b *LocalBackend) ReadDirFull(ctx context.Context, node, share, p string) ([]FileInfo, error) {
	s, err := b.share(node, share, false)
	if err != nil {
		return nil, err
	}
	r, err := rel(p)
	if err != nil {
		return nil, err
	}
	f, err := s.root.Open(r)
	if err != nil {
		return nil, localErr("readdir", p, err)
	}
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		return nil, localErr("readdir", p, err)
	}
	out := make([]FileInfo, 0, len(ents))
	for _, e := range ents {
		fi := FileInfo{Name: e.Name(), Link: e.Type()&fs.ModeSymlink != 0}
		if strings.HasPrefix(e.Name(), TempPrefix) {
			fi.Skip = skipTemp
		} else if CheckName(e.Name()) != nil {
			fi.Skip = skipName
		}
		var st fs.FileInfo
		if fi.Link {
			st, err = s.root.Stat(path.Join(filepath.ToSlash(r), e.Name()))
		} else {
			st, err = e.Info()
		}
		switch {
		case err != nil && fi.Link:
			fi.Skip = skipLink
		case err != nil:
			continue // gone since the listing
		case !st.IsDir() && !st.Mode().IsRegular():
			fi.Skip = skipSpecial
		}
		if st != nil && err == nil {
			fi.Size, fi.ModTime, fi.IsDir = st.Size(), st.ModTime(), st.IsDir()
			if fi.Skip == "" {
				if fi.Link {
					fi.Created = s.birth(path.Join(filepath.ToSlash(r), e.Name()))
				} else {
					fi.Created = birthTimeAt(f, e.Name())
				}
			}
		}
		out = append(out, fi)
	}
	return out, nil
}

// RemoveOne implements Remover: a file, or an empty folder.
func (b *LocalBackend) RemoveOne(ctx context.Context, node, share, p string) error {
	s, r, err := b.removable(node, share, p)
	if err != nil {
		return err
	}
	return localErr("remove", p, s.root.Remove(r))
}

// removable opens a share for writing and gives p relative to its root;
// the share's root itself is never removed.
func (b *LocalBackend) removable(node, share, p string) (*localShare, string, error) {
	s, err := b.share(node, share, true)
	if err != nil {
		return nil, "", err
	}
	if p == "" {
		return nil, "", fmt.Errorf("remove: the share's root: %w", fs.ErrPermission)
	}
	r, err := rel(p)
	if err != nil {
		return nil, "", err
	}
	return s, r, nil
}

// Open opens a regular file for reading.
func (b *LocalBackend) Open(ctx context.Context, node, share, p string) (ReadHandle, error) {
	s, err := b.share(node, share, false)
	if err != nil {
		return nil, err
	}
	r, err := rel(p)
	if err != nil {
		return nil, err
	}
	// Stat first so a FIFO is never opened (opening one blocks).
	fi, err := s.root.Stat(r)
	if err != nil {
		return nil, localErr("open", p, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("open %s: not a regular file: %w", p, fs.ErrNotExist)
	}
	f, err := s.root.Open(r)
	if err != nil {
		return nil, localErr("open", p, err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("open %s: not a regular file: %w", p, fs.ErrNotExist)
	}
	return f, nil
}

// Create writes to a temp file beside p that Commit renames onto p.
func (b *LocalBackend) Create(ctx context.Context, node, share, p string) (WriteHandle, error) {
	s, err := b.share(node, share, true)
	if err != nil {
		return nil, err
	}
	if p == "" {
		return nil, fmt.Errorf("create: the share's root is a folder: %w", fs.ErrExist)
	}
	r, err := rel(p)
	if err != nil {
		return nil, err
	}
	if err := checkReplaceable(s.root, r, p); err != nil {
		return nil, err
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := filepath.Join(filepath.Dir(r), TempPrefix+"part-"+hex.EncodeToString(rnd[:]))
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, localErr("create", p, err)
	}
	return &localWriter{root: s.root, f: f, tmp: tmp, dst: r, name: p, mtime: UploadModTime(ctx)}, nil
}

type localWriter struct {
	root      *os.Root
	f         *os.File
	tmp, dst  string
	name      string
	mtime     time.Time // kept by the file when not zero
	done      bool
	writeFail error
	final     *FileInfo // the file as committed
}

// Committed implements Committed.
func (w *localWriter) Committed() (FileInfo, bool) {
	if w.final == nil {
		return FileInfo{}, false
	}
	return *w.final, true
}

func (w *localWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		w.writeFail = localErr("write", w.name, err)
		return n, w.writeFail
	}
	return n, nil
}

func (w *localWriter) Commit() error {
	if w.done {
		return errors.New("write already finished")
	}
	w.done = true
	if w.writeFail != nil {
		w.f.Close()
		w.root.Remove(w.tmp)
		return w.writeFail
	}
	if err := w.f.Sync(); err != nil {
		w.f.Close()
		w.root.Remove(w.tmp)
		return localErr("sync", w.name, err)
	}
	if err := w.f.Close(); err != nil {
		w.root.Remove(w.tmp)
		return localErr("close", w.name, err)
	}
	if !w.mtime.IsZero() {
		if err := w.root.Chtimes(w.tmp, w.mtime, w.mtime); err != nil {
			w.root.Remove(w.tmp)
			return localErr("set the modification time of", w.name, err)
		}
	}
	if err := w.root.Rename(w.tmp, w.dst); err != nil {
		w.root.Remove(w.tmp)
		return localErr("rename", w.name, err)
	}
	if fi, err := w.root.Stat(w.dst); err == nil {
		li := localInfo(path.Base(w.name), fi)
		w.final = &li
	}
	return nil
}

func (w *localWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	return localErr("abort", w.name, w.root.Remove(w.tmp))
}

// Mkdir creates one folder.
func (b *LocalBackend) Mkdir(ctx context.Context, node, share, p string) error {
	s, err := b.share(node, share, true)
	if err != nil {
		return err
	}
	if p == "" {
		return fmt.Errorf("mkdir: the share's root exists: %w", fs.ErrExist)
	}
	r, err := rel(p)
	if err != nil {
		return err
	}
	return localErr("mkdir", p, s.root.Mkdir(r, 0o755))
}

// RemoveAll removes a file or folder tree; a symlink is removed, not its
// target. The share's root cannot be removed.
func (b *LocalBackend) RemoveAll(ctx context.Context, node, share, p string) error {
	s, r, err := b.removable(node, share, p)
	if err != nil {
		return err
	}
	return localErr("remove", p, s.root.RemoveAll(r))
}

// Rename moves within the share.
func (b *LocalBackend) Rename(ctx context.Context, node, share, oldPath, newPath string) error {
	s, err := b.share(node, share, true)
	if err != nil {
		return err
	}
	if oldPath == "" || newPath == "" {
		return fmt.Errorf("rename: the share's root: %w", fs.ErrPermission)
	}
	ro, err := rel(oldPath)
	if err != nil {
		return err
	}
	rn, err := rel(newPath)
	if err != nil {
		return err
	}
	if _, err := s.root.Lstat(ro); err != nil {
		return localErr("rename", oldPath, err)
	}
	if err := checkReplaceable(s.root, rn, newPath); err != nil && !errors.Is(err, ErrIsDir) {
		return err
	}
	return localErr("rename", oldPath+" -> "+newPath, s.root.Rename(ro, rn))
}

// checkReplaceable refuses to write over anything the namespace does not
// show as a file: a symlink that leaves the share or loops, a named pipe,
// a device. A folder gives ErrIsDir. A missing name is fine.
func checkReplaceable(root *os.Root, r, p string) error {
	li, err := root.Lstat(r)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return localErr("lstat", p, err)
	}
	fi := li
	if li.Mode()&fs.ModeSymlink != 0 {
		if fi, err = root.Stat(r); err != nil {
			return fmt.Errorf("%s: a link that leads outside the share or nowhere: %w", p, fs.ErrPermission)
		}
	}
	switch {
	case fi.IsDir():
		return fmt.Errorf("%s: %w", p, ErrIsDir)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s: not a regular file: %w", p, fs.ErrPermission)
	}
	return nil
}
