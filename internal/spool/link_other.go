//go:build !unix

package spool

import (
	"errors"
	"os"
)

func linkInto(src string, dir *os.File, base string) error { return errors.ErrUnsupported }
