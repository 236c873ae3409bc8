package spool

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// A placer writes a message's files under a destination folder (through
// os.Root, so no path from a payload can leave it) such that no file is
// ever visible under its real name before it is complete: each file is
// written and fsynced under a temporary name in its own folder
// (.peerhood-TAG-N.part, N its index in the payload), then linked to its
// real name (never replacing a file; a rename where the file system has no
// links) and the temporary name removed. A real name that already holds
// exactly the file's bytes counts as placed (an accept repeated after a
// crash); one holding anything else is refused. On failure the placer
// removes its temporary files and the files it placed.
type placer struct {
	root   *os.Root
	dest   string
	tag    string
	placed []string // real names this placer made
	temps  map[string]bool
	dirs   map[string]bool
}

// fileWriter is what a temporary file is written through.
type fileWriter interface {
	io.Writer
	io.WriterAt
}

// testHookPlaceWrite, when set, wraps the writer of each temporary file
// (a test injects a full disk or a crash there).
var testHookPlaceWrite func(tmp string, f *os.File) fileWriter

// linkFile links src (a path) as base in the open folder dir; a variable
// so tests can stand for a file system without links.
var linkFile = linkInto

// openDest creates folder dest if needed and opens it as an os.Root.
func openDest(dest string) (*os.Root, error) {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return nil, err
	}
	return os.OpenRoot(dest)
}

func newPlacer(dest, tag string) (*placer, error) {
	root, err := openDest(dest)
	if err != nil {
		return nil, err
	}
	return &placer{root: root, dest: dest, tag: tag, temps: map[string]bool{}, dirs: map[string]bool{".": true}}, nil
}

// tempName is the temporary name of file i of a message tagged tag.
func tempName(tag string, i int, f FileEntry) string {
	return filepath.Join(filepath.Dir(filepath.FromSlash(f.Path)), fmt.Sprintf(".peerhood-%s-%d.part", tag, i))
}

// removeTemps removes the temporary files an interrupted placement of
// files (tagged tag) may have left under dest.
func removeTemps(dest, tag string, files []FileEntry) {
	root, err := os.OpenRoot(dest)
	if err != nil {
		return
	}
	defer root.Close()
	for i, f := range files {
		_ = root.Remove(tempName(tag, i, f))
	}
}

func existsError(f FileEntry, dest string) error {
	return fmt.Errorf("%s already exists in %s with other content: choose another destination: %w", f.Path, dest, fs.ErrExist)
}

// prepare creates f's folders and refuses early a real name that cannot
// hold f (another kind of file, or another size).
func (p *placer) prepare(f FileEntry) error {
	name := filepath.FromSlash(f.Path)
	if d := filepath.Dir(name); d != "." {
		if err := p.root.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("create folder %s: %w", d, err)
		}
		for x := d; x != "."; x = filepath.Dir(x) {
			p.dirs[x] = true
		}
	}
	fi, err := p.root.Lstat(name)
	if err == nil && (!fi.Mode().IsRegular() || uint64(fi.Size()) != f.Size) {
		return existsError(f, p.dest)
	}
	return nil
}

// create opens file i's temporary file (replacing a stale one).
func (p *placer) create(i int, f FileEntry) (*os.File, error) {
	if err := p.prepare(f); err != nil {
		return nil, err
	}
	tmp := tempName(p.tag, i, f)
	_ = p.root.Remove(tmp)
	fh, err := p.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fs.FileMode(f.Mode&0o777)|0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", tmp, err)
	}
	p.temps[tmp] = true
	return fh, nil
}

// writer is what file i's bytes go through (fh unless a test wraps it).
func (p *placer) writer(i int, f FileEntry, fh *os.File) fileWriter {
	if testHookPlaceWrite != nil {
		return testHookPlaceWrite(tempName(p.tag, i, f), fh)
	}
	return fh
}

// commit fsyncs and closes file i's temporary file and gives it its name.
func (p *placer) commit(i int, f FileEntry, fh *os.File) error {
	err := fh.Sync()
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", f.Path, err)
	}
	tmp := tempName(p.tag, i, f)
	err = p.link(tmp, f)
	_ = p.root.Remove(tmp)
	delete(p.temps, tmp)
	return err
}

// link gives the complete file at tmp (under root) f's real name.
func (p *placer) link(tmp string, f FileEntry) error {
	name := filepath.FromSlash(f.Path)
	err := p.root.Link(tmp, name)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		// No links here: rename, after making sure nothing is replaced.
		if _, serr := p.root.Lstat(name); serr != nil {
			if err = p.root.Rename(tmp, name); err != nil {
				return fmt.Errorf("place %s: %w", f.Path, err)
			}
			p.placed = append(p.placed, name)
			return nil
		}
		err = fs.ErrExist
	}
	if errors.Is(err, fs.ErrExist) {
		return p.same(tmp, f)
	}
	p.placed = append(p.placed, name)
	return nil
}

// same accepts a real name that already holds exactly the bytes at src
// (a name under root), and refuses one that does not.
func (p *placer) same(src string, f FileEntry) error {
	a, err := p.root.Open(src)
	if err != nil {
		return err
	}
	defer a.Close()
	return p.sameAs(a, f)
}

func (p *placer) sameAs(a io.Reader, f FileEntry) error {
	b, err := p.root.Open(filepath.FromSlash(f.Path))
	if err != nil {
		return existsError(f, p.dest)
	}
	defer b.Close()
	if fi, err := b.Stat(); err != nil || !fi.Mode().IsRegular() {
		return existsError(f, p.dest)
	}
	eq, err := sameBytes(a, b)
	if err != nil {
		return fmt.Errorf("compare %s: %w", f.Path, err)
	}
	if !eq {
		return existsError(f, p.dest)
	}
	return nil
}

// sameBytes reports whether a and b read the same bytes.
func sameBytes(a, b io.Reader) (bool, error) {
	ba, bb := make([]byte, 256<<10), make([]byte, 256<<10)
	for {
		na, ea := io.ReadFull(a, ba)
		nb, eb := io.ReadFull(b, bb)
		if !bytes.Equal(ba[:na], bb[:nb]) {
			return false, nil
		}
		aEnd := ea == io.EOF || ea == io.ErrUnexpectedEOF
		bEnd := eb == io.EOF || eb == io.ErrUnexpectedEOF
		switch {
		case ea != nil && !aEnd:
			return false, ea
		case eb != nil && !bEnd:
			return false, eb
		case aEnd || bEnd:
			return aEnd && bEnd, nil
		}
	}
}

// finish fsyncs the folders written into and dest's parent.
func (p *placer) finish() error {
	for d := range p.dirs {
		fh, err := p.root.Open(d)
		if err != nil {
			return err
		}
		err = fh.Sync()
		fh.Close()
		if err != nil && !errors.Is(err, syscall.EINVAL) {
			return fmt.Errorf("fsync %s: %w", d, err)
		}
	}
	if err := syncDir(filepath.Dir(p.dest)); err != nil {
		return fmt.Errorf("fsync %s: %w", filepath.Dir(p.dest), err)
	}
	return nil
}

// close ends the placement; failed (err set) removes what it made.
func (p *placer) close(err error) {
	for t := range p.temps {
		_ = p.root.Remove(t)
	}
	if err != nil {
		for _, n := range p.placed {
			_ = p.root.Remove(n)
		}
	}
	p.root.Close()
}
