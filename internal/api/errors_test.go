package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
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

// errFull stands for the store's full-disk error, which is no errno.
var errFull = errors.New("database or disk is full (13)")

// SetFull: an endpoint's error that the node's test recognises answers
// 507 no_space with NoSpace's words; an endpoint's own *Error stays; a
// server without the test answers 500.
func TestSetFull(t *testing.T) {
	for _, c := range []struct {
		name    string
		setFull bool
		err     error
		status  int
		code    string
	}{
		{"full", true, fmt.Errorf("write setting: %w", errFull), http.StatusInsufficientStorage, "no_space"},
		{"own error", true, BadRequest("state %q", "x"), http.StatusBadRequest, "bad_request"},
		{"other", true, errors.New("boom"), http.StatusInternalServerError, "internal"},
		{"no test", false, fmt.Errorf("write setting: %w", errFull), http.StatusInternalServerError, "internal"},
	} {
		s := NewServer(nil, nil)
		if c.setFull {
			s.SetFull(func(err error) bool { return errors.Is(err, errFull) })
		}
		Handle(s, "POST /v1/x", "x", func(context.Context, *http.Request, Empty) (Empty, error) { return Empty{}, c.err })
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v1/x", nil))
		var got Error
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if w.Code != c.status || got.Code != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, w.Code, got.Code, c.status, c.code)
		}
		if c.code == "no_space" && got.Message != NoSpace(c.err).Message {
			t.Errorf("%s: message %q, want NoSpace's %q", c.name, got.Message, NoSpace(c.err).Message)
		}
	}
}
