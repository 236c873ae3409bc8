package share

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// The destination rules of get, put, copy into a share and WebDAV PUT,
// coded once here (docs/notes-fix17.md):
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
