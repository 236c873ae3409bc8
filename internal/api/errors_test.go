package api

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"syscall"
	"testing"
)

// AsError: an *Error as it is, a full file system 507 no_space saying
// what to do, anything else 500.
func TestAsError(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"api error", Conflict("taken"), http.StatusConflict, "conflict"},
		{"ENOSPC", fmt.Errorf("save: %w", &fs.PathError{Op: "write", Path: "f", Err: syscall.ENOSPC}), http.StatusInsufficientStorage, "no_space"},
		{"EDQUOT", syscall.EDQUOT, http.StatusInsufficientStorage, "no_space"},
		{"other", errors.New("boom"), http.StatusInternalServerError, "internal"},
	} {
		ae := AsError(c.err)
		if ae.Status != c.status || ae.Code != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, ae.Status, ae.Code, c.status, c.code)
		}
		if c.code == "no_space" && (!strings.Contains(ae.Message, c.err.Error()) || !strings.Contains(ae.Message, "disk full")) {
			t.Errorf("%s: message %q", c.name, ae.Message)
		}
	}
}
