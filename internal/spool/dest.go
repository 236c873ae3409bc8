package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// openDest creates folder dest if needed and opens it as an os.Root, so
// that no path from a payload can leave it.
func openDest(dest string) (*os.Root, error) {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return nil, err
	}
	return os.OpenRoot(dest)
}

// undoOnError, deferred by a writer of files under root, removes the files
// it wrote when it fails, so nothing half done is left.
func undoOnError(root *os.Root, written *[]string, err *error) {
	if *err != nil {
		for _, p := range *written {
			_ = root.Remove(p)
		}
		*written = nil
	}
}

// createIn creates f's folders and f itself under root, never replacing
// an existing file (that is an error naming dest).
func createIn(root *os.Root, f FileEntry, dest string) (*os.File, error) {
	name := filepath.FromSlash(f.Path)
	if d := filepath.Dir(name); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("create folder %s: %w", d, err)
		}
	}
	fh, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fs.FileMode(f.Mode&0o777)|0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%s already exists in %s: choose another destination", f.Path, dest)
	}
	return fh, err
}
