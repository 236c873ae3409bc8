package daemon

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"github.com/peerhood/peerhood/internal/api"
)

// DefaultHome returns the state folder: $PEERHOOD_HOME, else the OS user
// config folder + /peerhood (api.DefaultHome, which clients use).
func DefaultHome() (string, error) { return api.DefaultHome() }

// PrepareHome creates the state folder with mode 0700 if absent, and
// refuses one that others can read or enter.
func PrepareHome(home string) error {
	fi, err := os.Stat(home)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(home, 0o700); err != nil {
			return fmt.Errorf("create state folder %s: %w", home, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("state folder %s: %w", home, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("state folder %s is not a folder", home)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("state folder %s has mode %04o: others can read it; run: chmod 700 %s", home, fi.Mode().Perm(), home)
	}
	return nil
}
