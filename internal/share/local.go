package share

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"time"
)

// partPrefix starts the name of every transfer's temporary file. Peers
// cannot name such files (CleanPath refuses them) and listings hide them.
const partPrefix = ".peerhood-part-"

// Entry describes a file or folder of a share.
type Entry struct {
	Name  string `json:"name" cbor:"1,keyasint"`
	Size  int64  `json:"size" cbor:"2,keyasint"`
	Mode  uint32 `json:"mode" cbor:"3,keyasint"` // permission bits
	Mtime int64  `json:"mtime_ns" cbor:"4,keyasint"`
	Dir   bool   `json:"dir,omitempty" cbor:"5,keyasint,omitempty"`
}

// ModTime returns the entry's modification time.
func (e Entry) ModTime() time.Time { return time.Unix(0, e.Mtime) }

func entryOf(name string, fi fs.FileInfo) Entry {
	return Entry{Name: name, Size: fi.Size(), Mode: uint32(fi.Mode().Perm()), Mtime: fi.ModTime().UnixNano(), Dir: fi.IsDir()}
}

// Local gives access to one local share's folder through os.Root: no
// path, ".." or symlink can leave it. Every method takes a share-relative
// path, checked with CleanPath before the file system is touched.
// A Local is safe for concurrent use.
type Local struct {
	root *os.Root
}

// OpenLocal opens the share folder dir.
func OpenLocal(dir string) (*Local, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open share folder: %w", err)
	}
	return &Local{root: r}, nil
}

// Close releases the folder.
func (l *Local) Close() error { return l.root.Close() }

// Root returns the underlying os.Root (for callers that need more, such
// as a WebDAV file system). Paths given to it must be CleanPath'd.
func (l *Local) Root() *os.Root { return l.root }

// Stat describes p. Symlinks are followed while they stay in the share.
func (l *Local) Stat(p string) (Entry, error) {
	cp, err := CleanPath(p)
	if err != nil {
		return Entry{}, err
	}
	fi, err := l.root.Stat(cp)
	if err != nil {
		return Entry{}, err
	}
	return entryOf(path.Base(cp), fi), nil
}

// ReadDir lists folder p in name order, calling fn with batches of at
// most batch entries. Transfer temporaries are hidden; a symlink whose
// target leaves the share or does not exist is skipped.
func (l *Local) ReadDir(p string, batch int, fn func([]Entry) error) error {
	cp, err := CleanPath(p)
	if err != nil {
		return err
	}
	d, err := l.root.Open(cp)
	if err != nil {
		return err
	}
	defer d.Close()
	des, err := d.ReadDir(-1)
	if err != nil {
		return fmt.Errorf("read folder %s: %w", cp, err)
	}
	sort.Slice(des, func(i, j int) bool { return des[i].Name() < des[j].Name() })
	if batch <= 0 {
		batch = 1000
	}
	out := make([]Entry, 0, min(batch, len(des)))
	for _, de := range des {
		name := de.Name()
		if len(name) >= len(partPrefix) && name[:len(partPrefix)] == partPrefix {
			continue
		}
		var fi fs.FileInfo
		if de.Type()&fs.ModeSymlink != 0 {
			fi, err = l.root.Stat(joinPath(cp, name))
		} else {
			fi, err = de.Info()
		}
		if err != nil {
			continue
		}
		out = append(out, entryOf(name, fi))
		if len(out) == batch {
			if err := fn(out); err != nil {
				return err
			}
			out = out[:0]
		}
	}
	if len(out) > 0 {
		return fn(out)
	}
	return nil
}

// Open opens file p for reading.
func (l *Local) Open(p string) (*os.File, Entry, error) {
	cp, err := CleanPath(p)
	if err != nil {
		return nil, Entry{}, err
	}
	if cp == "." {
		return nil, Entry{}, fmt.Errorf("%s: %w", p, errIsDir)
	}
	f, err := l.root.Open(cp)
	if err != nil {
		return nil, Entry{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Entry{}, err
	}
	if fi.IsDir() {
		f.Close()
		return nil, Entry{}, fmt.Errorf("%s: %w", cp, errIsDir)
	}
	return f, entryOf(path.Base(cp), fi), nil
}

var errIsDir = errors.New("is a folder")

// checkLink refuses cp when it is a symlink whose target leaves the
// share or does not resolve: such a link is neither followed nor
// renamed, replaced or removed through the share.
func (l *Local) checkLink(cp string) error {
	fi, err := l.root.Lstat(cp)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return nil
	}
	if _, err := l.root.Stat(cp); err != nil {
		return fmt.Errorf("%w: %s is a symlink that leaves the share or is broken", ErrBadPath, cp)
	}
	return nil
}

// Mkdir creates folder p (and missing parents).
func (l *Local) Mkdir(p string) error {
	cp, err := CleanPath(p)
	if err != nil {
		return err
	}
	if cp == "." {
		return nil
	}
	return l.root.MkdirAll(cp, 0o755)
}

// Remove removes p; a non-empty folder only when recursive.
func (l *Local) Remove(p string, recursive bool) error {
	cp, err := CleanPath(p)
	if err != nil {
		return err
	}
	if cp == "." {
		return fmt.Errorf("%w: cannot remove the share itself", ErrBadPath)
	}
	if _, err := l.root.Lstat(cp); err != nil {
		return err
	}
	if err := l.checkLink(cp); err != nil {
		return err
	}
	if recursive {
		return l.root.RemoveAll(cp)
	}
	return l.root.Remove(cp)
}

// Rename moves from to to, replacing a file at to.
func (l *Local) Rename(from, to string) error {
	cf, err := CleanPath(from)
	if err != nil {
		return err
	}
	ct, err := CleanPath(to)
	if err != nil {
		return err
	}
	if cf == "." || ct == "." {
		return fmt.Errorf("%w: cannot rename the share itself", ErrBadPath)
	}
	if err := l.checkLink(cf); err != nil {
		return err
	}
	if err := l.checkLink(ct); err != nil {
		return err
	}
	return l.root.Rename(cf, ct)
}

// partName is the temporary name of an upload of p with the given size
// and mtime: the same upload retried finds its partial file again.
func partName(p string, size, mtime int64) string {
	h := sha256.Sum256([]byte(p + "\x00" + strconv.FormatInt(size, 10) + "\x00" + strconv.FormatInt(mtime, 10)))
	return joinPath(path.Dir(p), partPrefix+hex.EncodeToString(h[:8]))
}

// Partial is an upload being written to a temporary file in the share.
type Partial struct {
	l      *Local
	f      *os.File
	name   string // temp, share-relative
	final  string
	mtime  int64
	Offset int64 // bytes already there (resume point)
	info   os.FileInfo
}

// CreatePartial opens (resume) or creates the temporary file of an upload
// of size bytes to p. Offset tells how many bytes are already there; with
// resume false any earlier partial is discarded.
func (l *Local) CreatePartial(p string, size, mtime int64, resume bool) (*Partial, error) {
	cp, err := CleanPath(p)
	if err != nil {
		return nil, err
	}
	if cp == "." {
		return nil, fmt.Errorf("%w: cannot write over the share itself", ErrBadPath)
	}
	if err := l.checkLink(cp); err != nil {
		return nil, err
	}
	if fi, err := l.root.Stat(cp); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s: %w", cp, errIsDir)
	}
	if dir := path.Dir(cp); dir != "." {
		if fi, err := l.root.Stat(dir); err != nil {
			return nil, err
		} else if !fi.IsDir() {
			return nil, fmt.Errorf("%s: not a folder", dir)
		}
	}
	name := partName(cp, size, mtime)
	flags := os.O_RDWR | os.O_CREATE
	if !resume {
		flags |= os.O_TRUNC
	}
	f, err := l.root.OpenFile(name, flags, 0o600)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	off := fi.Size()
	if off > size {
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, err
		}
		off = 0
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return &Partial{l: l, f: f, name: name, final: cp, mtime: mtime, Offset: off}, nil
}

// File is the open temporary file, positioned at Offset.
func (p *Partial) File() *os.File { return p.f }

// Commit syncs the temporary file, sets its mtime and renames it over the
// final name.
func (p *Partial) Commit() (Entry, error) {
	if err := dataSync(p.f); err != nil {
		p.f.Close()
		return Entry{}, fmt.Errorf("sync: %w", err)
	}
	if err := p.f.Close(); err != nil {
		return Entry{}, err
	}
	if p.mtime != 0 {
		t := time.Unix(0, p.mtime)
		if err := p.l.root.Chtimes(p.name, t, t); err != nil {
			return Entry{}, fmt.Errorf("set mtime: %w", err)
		}
	}
	if err := p.l.root.Chmod(p.name, 0o644); err != nil {
		return Entry{}, err
	}
	if err := p.l.root.Rename(p.name, p.final); err != nil {
		return Entry{}, fmt.Errorf("rename into place: %w", err)
	}
	fi, err := p.l.root.Stat(p.final)
	if err != nil {
		return Entry{}, err
	}
	p.info = fi
	return entryOf(path.Base(p.final), fi), nil
}

// Info is the committed file's stat (nil before Commit).
func (p *Partial) Info() os.FileInfo { return p.info }

// Keep closes the temporary file, leaving it for a later resume.
func (p *Partial) Keep() { p.f.Close() }

// Discard closes and removes the temporary file.
func (p *Partial) Discard() {
	p.f.Close()
	_ = p.l.root.Remove(p.name)
}
