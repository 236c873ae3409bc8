package share

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// The destination rules of get, put, copy into a share and WebDAV PUT,
// coded once here (docs/design/everyday.md):
//
//   - A destination that ends in "/" names a folder: the source goes
//     inside it under its own name, and a missing folder is created
//     (with its parents). If a file holds that name, the transfer is
//     refused ("docs/inbox is a file, not a folder"). A WebDAV PUT to a
//     path ending in "/" is refused (it carries no file name to add).
//   - A destination without the slash that is an existing folder also
//     gets the source inside it (intoFolder); otherwise it is the new
//     file's own path.
//   - An existing file at the final path is replaced, unless the caller
//     asked for no clobbering (--no-clobber; WebDAV: If-None-Match: *,
//     or Overwrite: F for COPY/MOVE): then the transfer is refused with
//     ErrFileExists ("docs/x.txt exists"), never "permission denied".
//   - A folder (get -r, put -r) with --no-clobber: every file it would
//     write is checked before any is sent (NoClobberTree). If any exists
//     the whole transfer is refused, naming them ("2 files exist:
//     docs/tree/a.txt, docs/tree/sub/b.txt; nothing was copied"), and
//     nothing is written; a destination folder that exists is no reason
//     to refuse. All or nothing, like a single file: the command either
//     did what was asked or changed nothing, and a user who wants the
//     rest copied anyway sees exactly which files stand in the way.

// ErrFileExists is wrapped when a transfer refuses to replace a file
// (--no-clobber).
var ErrFileExists = errors.New("exists")

// ErrNotFolder is wrapped when a destination written as a folder (with a
// trailing slash) is a file.
var ErrNotFolder = errors.New("is a file, not a folder")

// separators end a destination written as a folder.
var separators = func() string {
	if os.PathSeparator != '/' {
		return "/" + string(os.PathSeparator)
	}
	return "/"
}()

// FolderSyntax reports whether a destination as typed names a folder: it
// ends in "/" (or, for a local path, the OS's separator).
func FolderSyntax(typed string) bool {
	return strings.HasSuffix(typed, "/") || strings.HasSuffix(typed, string(os.PathSeparator))
}

// DestFS is what the destination rules need of the place written to: a
// local folder, a remote share, or a share served over WebDAV.
type DestFS interface {
	// Kind stats p: exists, and whether it is a folder.
	Kind(p string) (exists, isDir bool, err error)
	// MkdirAll creates folder p and its missing parents.
	MkdirAll(p string) error
}

// Dest is where a source called name goes for the destination dst as
// typed (with its trailing slash, if any; already cleaned otherwise),
// joining paths with join. It creates the folder a trailing slash names
// when it is missing. name "" (a share's root, which has no name of its
// own) makes the folder itself the destination. A write that has no
// source name at all (WebDAV PUT) checks FolderSyntax itself and refuses.
func Dest(fsys DestFS, dst, name string, join func(...string) string) (string, error) {
	folder := FolderSyntax(dst)
	clean := strings.TrimRight(dst, separators)
	if clean == "" {
		clean = dst[:min(len(dst), 1)] // "/" stays the root
	}
	exists, isDir, err := fsys.Kind(clean)
	if err != nil {
		return "", err
	}
	switch {
	case folder && exists && !isDir:
		return "", fmt.Errorf("%w: %s %w (leave out the trailing / to replace it)", ErrBadPath, clean, ErrNotFolder)
	case folder && !exists:
		if err := fsys.MkdirAll(clean); err != nil {
			return "", fmt.Errorf("create folder %s: %w", clean, err)
		}
		if name == "" {
			return clean, nil
		}
		return join(clean, name), nil
	}
	return intoFolder(clean, isDir, name, join), nil
}

// NoClobber refuses to replace what exists at p (shown to users as
// shown) when noClobber is set.
func NoClobber(fsys DestFS, p, shown string, noClobber bool) error {
	if !noClobber {
		return nil
	}
	exists, _, err := fsys.Kind(p)
	if err != nil {
		return err
	}
	if exists {
		return fmt.Errorf("%s %w (leave out --no-clobber to replace it)", shown, ErrFileExists)
	}
	return nil
}

// LocalFS is DestFS over this machine's file system (get's destination).
type LocalFS struct{}

// Kind implements DestFS.
func (LocalFS) Kind(p string) (bool, bool, error) {
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	return true, fi.IsDir(), nil
}

// MkdirAll implements DestFS.
func (LocalFS) MkdirAll(p string) error { return os.MkdirAll(p, 0o755) }

// ListFS lists a destination folder for NoClobberTree.
type ListFS interface {
	// List returns the names in folder p and whether each is a folder;
	// a missing folder lists nothing (nil, nil).
	List(p string) (map[string]bool, error)
}

// maxNamed bounds how many existing files a refusal names.
const maxNamed = 5

// NoClobberTree refuses, when noClobber is set, a folder transfer that
// would replace files: files are the slash-separated paths, relative to
// root, of every file the transfer writes (root/f on the destination
// fsys, joined with join); shown gives what users read for one. Each
// destination folder is listed once. A path that is a folder at the
// destination counts as existing.
func NoClobberTree(fsys ListFS, root string, files []string, join func(...string) string, shown func(rel string) string, noClobber bool) error {
	if !noClobber {
		return nil
	}
	listed := map[string]map[string]bool{}
	var exist []string
	for _, f := range files {
		dir, name := path.Split(f)
		dir = strings.TrimSuffix(dir, "/")
		names, ok := listed[dir]
		if !ok {
			var err error
			p := root
			if dir != "" {
				p = join(root, filepath.FromSlash(dir))
			}
			if names, err = fsys.List(p); err != nil {
				return err
			}
			listed[dir] = names
		}
		if _, ok := names[name]; ok {
			exist = append(exist, f)
		}
	}
	if len(exist) == 0 {
		return nil
	}
	sort.Strings(exist)
	named := make([]string, 0, min(len(exist), maxNamed))
	for _, f := range exist[:min(len(exist), maxNamed)] {
		named = append(named, shown(f))
	}
	list := strings.Join(named, ", ")
	if more := len(exist) - len(named); more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	if len(exist) == 1 {
		return fmt.Errorf("%s %w; nothing was copied (leave out --no-clobber to replace it)", list, ErrFileExists)
	}
	return fmt.Errorf("%d files already exist (%s): %w; nothing was copied (leave out --no-clobber to replace them)", len(exist), list, ErrFileExists)
}

// List implements ListFS.
func (LocalFS) List(p string) (map[string]bool, error) {
	es, err := os.ReadDir(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(es))
	for _, e := range es {
		out[e.Name()] = e.IsDir()
	}
	return out, nil
}

// LocalFiles lists the regular files under the local folder root, as
// slash-separated paths relative to it (what PutTree sends).
func LocalFiles(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	return out, err
}
