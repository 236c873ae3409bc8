package davfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path"
	"time"

	"golang.org/x/net/webdav"
)

// davFS is the webdav.FileSystem over a Backend: /NODE/SHARE/path.
type davFS struct {
	b       Backend
	props   *deadProps // nil: dead properties are not kept
	started time.Time  // the mtime shown for the root and node folders
}

var _ webdav.FileSystem = (*davFS)(nil)

func (d *davFS) parse(ctx context.Context, name string) (Target, error) {
	t, err := ParsePath(name)
	return t, fail(ctx, err, 0)
}

func (d *davFS) dirInfo(name string) FileInfo {
	return FileInfo{Name: name, IsDir: true, ModTime: d.started}
}

// findShare returns the share named in t, or an error wrapping
// fs.ErrNotExist.
func (d *davFS) findShare(ctx context.Context, t Target) (ShareInfo, error) {
	shares, err := d.b.Shares(ctx, t.Node)
	if err != nil {
		return ShareInfo{}, err
	}
	for _, s := range shares {
		if s.Name == t.Share {
			return s, nil
		}
	}
	return ShareInfo{}, fmt.Errorf("share %s/%s: %w", t.Node, t.Share, fs.ErrNotExist)
}

func (d *davFS) stat(ctx context.Context, t Target) (FileInfo, error) {
	st := stateOf(ctx)
	key := t.String()
	if fi, ok := st.cached(key); ok {
		return fi, nil
	}
	var fi FileInfo
	var err error
	switch t.Level() {
	case 0:
		fi = d.dirInfo("/")
	case 1:
		if _, err = d.b.Shares(ctx, t.Node); err == nil {
			fi = d.dirInfo(t.Node)
		}
	case 2:
		if _, err = d.findShare(ctx, t); err == nil {
			fi, err = d.b.Stat(ctx, t.Node, t.Share, "")
			fi.Name = t.Share
		}
	default:
		fi, err = d.b.Stat(ctx, t.Node, t.Share, t.Path)
	}
	if err != nil {
		return FileInfo{}, fail(ctx, err, 0)
	}
	st.remember(key, fi)
	return fi, nil
}

// Stat implements webdav.FileSystem.
func (d *davFS) Stat(ctx context.Context, name string) (os.FileInfo, error) {
	t, err := d.parse(ctx, name)
	if err != nil {
		return nil, err
	}
	fi, err := d.stat(ctx, t)
	if err != nil {
		return nil, err
	}
	return osInfo{fi}, nil
}

// OpenFile implements webdav.FileSystem. Reading opens nothing until the
// first Read or Seek, so PROPFIND on many files costs no opens.
func (d *davFS) OpenFile(ctx context.Context, name string, flag int, perm os.FileMode) (webdav.File, error) {
	t, err := d.parse(ctx, name)
	if err != nil {
		return nil, err
	}
	if flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		fi, err := d.stat(ctx, t)
		if err != nil {
			return nil, err
		}
		return &readFile{fs: d, ctx: ctx, t: t, info: fi}, nil
	}
	if flag&os.O_CREATE == 0 {
		// PROPPATCH opens O_RDWR to patch properties: the file itself is
		// not written (Write refuses).
		if st := stateOf(ctx); st == nil || st.method != "PROPPATCH" {
			return nil, fail(ctx, fmt.Errorf("open %s for writing without create: %w", name, fs.ErrPermission), 0)
		}
		fi, err := d.stat(ctx, t)
		if err != nil {
			return nil, err
		}
		return &readFile{fs: d, ctx: ctx, t: t, info: fi}, nil
	}
	if t.Level() < 3 {
		return nil, fail(ctx, fmt.Errorf("%s: files live inside a share: %w", name, fs.ErrPermission), 0)
	}
	var wh WriteHandle
	st := stateOf(ctx)
	if sc, ok := d.b.(SizedCreator); ok && st != nil && st.method == "PUT" && st.size >= 0 {
		wh, err = sc.CreateSized(ctx, t.Node, t.Share, t.Path, st.size)
	} else {
		wh, err = d.b.Create(ctx, t.Node, t.Share, t.Path)
	}
	if err != nil {
		return nil, fail(ctx, err, 409)
	}
	stateOf(ctx).forget()
	return &writeFile{ctx: ctx, wh: wh, name: path.Base(t.Path), started: time.Now()}, nil
}

// Mkdir implements webdav.FileSystem.
func (d *davFS) Mkdir(ctx context.Context, name string, perm os.FileMode) error {
	t, err := d.parse(ctx, name)
	if err != nil {
		return err
	}
	switch t.Level() {
	case 0, 1:
		return fail(ctx, fmt.Errorf("%s: shares are added with 'peerhood share add' on their node: %w", name, fs.ErrPermission), 0)
	case 2:
		return fmt.Errorf("%s: %w", name, fs.ErrExist)
	}
	stateOf(ctx).forget()
	return fail(ctx, d.b.Mkdir(ctx, t.Node, t.Share, t.Path), 409)
}

// RemoveAll implements webdav.FileSystem.
func (d *davFS) RemoveAll(ctx context.Context, name string) error {
	t, err := d.parse(ctx, name)
	if err != nil {
		return err
	}
	if t.Level() < 3 {
		return fail(ctx, fmt.Errorf("%s: nodes and shares cannot be removed over WebDAV: %w", name, fs.ErrPermission), 0)
	}
	stateOf(ctx).forget()
	return fail(ctx, d.b.RemoveAll(ctx, t.Node, t.Share, t.Path), 0)
}

// Rename implements webdav.FileSystem: within one share only.
func (d *davFS) Rename(ctx context.Context, oldName, newName string) error {
	from, err := d.parse(ctx, oldName)
	if err != nil {
		return err
	}
	to, err := d.parse(ctx, newName)
	if err != nil {
		return err
	}
	if from.Level() < 3 || to.Level() < 3 {
		return fail(ctx, fmt.Errorf("nodes and shares cannot be moved over WebDAV: %w", fs.ErrPermission), 0)
	}
	if from.Node != to.Node || from.Share != to.Share {
		return fail(ctx, fmt.Errorf("%s -> %s: %w (copy, then delete)", oldName, newName, ErrCrossShare), 0)
	}
	if _, err := d.stat(ctx, from); err != nil {
		return fail(ctx, err, 404)
	}
	stateOf(ctx).forget()
	return fail(ctx, d.b.Rename(ctx, from.Node, from.Share, from.Path, to.Path), 409)
}

// readFile is a file or folder opened for reading.
type readFile struct {
	fs   *davFS
	ctx  context.Context
	t    Target
	info FileInfo
	h    ReadHandle
	sr   *io.SectionReader
	dir  []os.FileInfo
	dirN int
	read bool
}

func (f *readFile) open() error {
	if f.sr != nil {
		return nil
	}
	if f.info.IsDir {
		return fmt.Errorf("%s: %w", f.t, ErrIsDir)
	}
	h, err := f.fs.b.Open(f.ctx, f.t.Node, f.t.Share, f.t.Path)
	if err != nil {
		return fail(f.ctx, err, 0)
	}
	f.h = h
	f.sr = io.NewSectionReader(h, 0, f.info.Size)
	return nil
}

func (f *readFile) Read(p []byte) (int, error) {
	if err := f.open(); err != nil {
		return 0, err
	}
	return f.sr.Read(p)
}

func (f *readFile) Seek(off int64, whence int) (int64, error) {
	if err := f.open(); err != nil {
		return 0, err
	}
	return f.sr.Seek(off, whence)
}

func (f *readFile) Write([]byte) (int, error) {
	return 0, fmt.Errorf("%s is open for reading: %w", f.t, fs.ErrPermission)
}

func (f *readFile) Close() error {
	if f.h != nil {
		return f.h.Close()
	}
	return nil
}

func (f *readFile) Stat() (os.FileInfo, error) { return osInfo{f.info}, nil }

// Readdir lists the folder; every entry is remembered in the request's
// stat cache.
func (f *readFile) Readdir(count int) ([]os.FileInfo, error) {
	if !f.info.IsDir {
		return nil, fmt.Errorf("%s: not a folder", f.t)
	}
	if !f.read {
		f.read = true
		ents, err := f.list()
		if err != nil {
			return nil, fail(f.ctx, err, 0)
		}
		st := stateOf(f.ctx)
		f.dir = make([]os.FileInfo, 0, len(ents))
		for _, e := range ents {
			if CheckName(e.Name) != nil {
				continue
			}
			child := f.t
			switch f.t.Level() {
			case 0:
				child.Node = e.Name
			case 1:
				child.Share = e.Name
			case 2:
				child.Path = e.Name
			default:
				child.Path = f.t.Path + "/" + e.Name
			}
			st.remember(child.String(), e)
			f.dir = append(f.dir, osInfo{e})
		}
	}
	rest := f.dir[f.dirN:]
	if count <= 0 {
		f.dirN = len(f.dir)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	if count > len(rest) {
		count = len(rest)
	}
	f.dirN += count
	return rest[:count], nil
}

func (f *readFile) list() ([]FileInfo, error) {
	switch f.t.Level() {
	case 0:
		nodes, err := f.fs.b.Nodes(f.ctx)
		if err != nil {
			return nil, err
		}
		out := make([]FileInfo, 0, len(nodes))
		for _, n := range nodes {
			out = append(out, f.fs.dirInfo(n))
		}
		return out, nil
	case 1:
		shares, err := f.fs.b.Shares(f.ctx, f.t.Node)
		if err != nil {
			return nil, err
		}
		out := make([]FileInfo, 0, len(shares))
		for _, s := range shares {
			out = append(out, f.fs.dirInfo(s.Name))
		}
		return out, nil
	}
	return f.fs.b.ReadDir(f.ctx, f.t.Node, f.t.Share, f.t.Path)
}

// writeFile receives a PUT or a COPY's data; Close commits it only when
// everything arrived (for a PUT: the body was read to its clean end).
type writeFile struct {
	ctx     context.Context
	wh      WriteHandle
	name    string
	n       int64
	started time.Time
	err     error
	closed  bool
}

func (f *writeFile) Write(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.wh.Write(p)
	f.n += int64(n)
	if err != nil {
		f.err = fail(f.ctx, err, 0)
	}
	return n, f.err
}

// ReadFrom hands r to a handle that reads it itself (a streamed remote
// upload), else copies with a large buffer (fewer, bigger backend
// writes).
func (f *writeFile) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := f.wh.(io.ReaderFrom); ok && f.err == nil {
		n, err := rf.ReadFrom(r)
		f.n += n
		if err != nil {
			f.err = fail(f.ctx, err, 0)
		}
		return n, f.err
	}
	buf := make([]byte, 1<<20)
	var total int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := f.Write(buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (f *writeFile) Read([]byte) (int, error) {
	return 0, fmt.Errorf("%s is open for writing", f.name)
}

func (f *writeFile) Seek(off int64, whence int) (int64, error) {
	if off == 0 && (whence == io.SeekCurrent || whence == io.SeekEnd) {
		return f.n, nil
	}
	return 0, fmt.Errorf("%s: seek while writing is not supported", f.name)
}

func (f *writeFile) Readdir(int) ([]os.FileInfo, error) {
	return nil, fmt.Errorf("%s: not a folder", f.name)
}

func (f *writeFile) Stat() (os.FileInfo, error) {
	return osInfo{FileInfo{Name: f.name, Size: f.n, ModTime: f.started}}, nil
}

func (f *writeFile) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	if f.err != nil {
		_ = f.wh.Abort()
		return f.err
	}
	if st := stateOf(f.ctx); st != nil && st.body != nil && !st.body.complete() {
		_ = f.wh.Abort()
		return errors.New("the request body ended early: nothing written")
	}
	if err := f.wh.Commit(); err != nil {
		return fail(f.ctx, err, 409)
	}
	if c, ok := f.wh.(Committed); ok {
		if fi, ok := c.Committed(); ok {
			if st := stateOf(f.ctx); st != nil {
				st.mu.Lock()
				st.put = &fi
				st.mu.Unlock()
			}
		}
	}
	return nil
}

// osInfo turns a FileInfo into an os.FileInfo that also gives WebDAV its
// content type without opening the file.
type osInfo struct{ fi FileInfo }

func (o osInfo) Name() string       { return o.fi.Name }
func (o osInfo) Size() int64        { return o.fi.Size }
func (o osInfo) ModTime() time.Time { return o.fi.ModTime }
func (o osInfo) IsDir() bool        { return o.fi.IsDir }
func (o osInfo) Sys() any           { return nil }
func (o osInfo) Mode() os.FileMode {
	if o.fi.IsDir {
		return os.ModeDir | 0o755
	}
	return 0o644
}

// ContentType implements webdav.ContentTyper: by extension, never by
// reading the file.
func (o osInfo) ContentType(ctx context.Context) (string, error) {
	if t := mime.TypeByExtension(path.Ext(o.fi.Name)); t != "" {
		return t, nil
	}
	return "application/octet-stream", nil
}
