package share

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"time"
)

// batchDirs holds, for one batch, an os.Root per folder the batch
// touches: every file operation inside it then resolves one name, not
// each folder of the path again (os.Root opens every component of a
// path per call: for files of a few KiB that was a third of the sharing
// node's CPU). A sub-root is stricter than the share's root: a symlink
// leaving the folder is refused here, and the client then sends that file
// alone through the share's root.
type batchDirs struct {
	l *Local
	m map[string]*os.Root
}

func newBatchDirs(l *Local) *batchDirs { return &batchDirs{l: l, m: map[string]*os.Root{}} }

// dir returns the root of share folder d (clean, "." for the share).
func (b *batchDirs) dir(d string) (*os.Root, error) {
	if d == "." {
		return b.l.root, nil
	}
	if r, ok := b.m[d]; ok {
		return r, nil
	}
	r, err := b.l.root.OpenRoot(d)
	if err != nil {
		return nil, err // not kept: the folder may be made later
	}
	b.m[d] = r
	return r, nil
}

func (b *batchDirs) close() {
	for _, r := range b.m {
		r.Close()
	}
	clear(b.m)
}

// open opens share file cp for reading, like Local.Open.
func (b *batchDirs) open(cp string) (*os.File, Entry, error) {
	r, err := b.dir(path.Dir(cp))
	if err != nil {
		return nil, Entry{}, err
	}
	f, err := r.Open(path.Base(cp))
	if err != nil {
		return nil, Entry{}, err
	}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		err = fmt.Errorf("%s: %w", cp, errIsDir)
	}
	if err != nil {
		f.Close()
		return nil, Entry{}, err
	}
	return f, entryOf(path.Base(cp), fi), nil
}

// place writes data as share file cp with mtime (unix ns, 0: now) the
// way a single upload lands (Local.CreatePartial, Partial.Commit): a
// temporary name beside it, fdatasync, mode 0644, mtime, rename over the
// final name. A folder or a link that leaves the share is not replaced.
// On failure no temporary file is left.
func (b *batchDirs) place(cp string, data []byte, mtime int64) (Entry, error) {
	r, err := b.dir(path.Dir(cp))
	if err != nil {
		return Entry{}, err
	}
	name := path.Base(cp)
	if fi, err := r.Lstat(name); err == nil {
		if fi.IsDir() {
			return Entry{}, fmt.Errorf("%s: %w", cp, errIsDir)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			to, err := r.Stat(name)
			if err != nil {
				return Entry{}, fmt.Errorf("%w: %s is a symlink that leaves the folder or is broken", ErrBadPath, cp)
			}
			if to.IsDir() {
				return Entry{}, fmt.Errorf("%s: %w", cp, errIsDir)
			}
		}
	}
	part := path.Base(partName(cp, int64(len(data)), mtime))
	f, err := r.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return Entry{}, err
	}
	fi, err := writePart(f, data)
	if err == nil && mtime != 0 {
		t := time.Unix(0, mtime)
		if err = r.Chtimes(part, t, t); err == nil {
			fi, err = f.Stat()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if err = r.Rename(part, name); err != nil {
			err = fmt.Errorf("rename into place: %w", err)
		}
	}
	if err != nil {
		_ = r.Remove(part)
		return Entry{}, err
	}
	return entryOf(name, fi), nil
}

// writePart writes data to the new temporary file f, makes it durable
// and gives it mode 0644.
func writePart(f *os.File, data []byte) (os.FileInfo, error) {
	if _, err := f.Write(data); err != nil {
		return nil, err
	}
	if err := dataSync(f); err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	if err := f.Chmod(0o644); err != nil {
		return nil, err
	}
	return f.Stat()
}

// sync fsyncs folder d (the renames into it).
func (b *batchDirs) sync(d string) error {
	r, err := b.dir(d)
	if err != nil {
		return err
	}
	f, err := r.Open(".")
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
