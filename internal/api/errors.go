package api

import (
	"errors"
	"fmt"
	"net/http"
	"syscall"
)

// Error is an API error as sent over the wire.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"error"`
}

func (e *Error) Error() string { return e.Message }

// Errorf builds an API error with an HTTP status.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// BadRequest, NotFound, Forbidden and Conflict build the common errors.
func BadRequest(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, "bad_request", format, args...)
}

// NotFound reports an unknown resource.
func NotFound(format string, args ...any) *Error {
	return Errorf(http.StatusNotFound, "not_found", format, args...)
}

// Forbidden reports a refused action.
func Forbidden(format string, args ...any) *Error {
	return Errorf(http.StatusForbidden, "forbidden", format, args...)
}

// Conflict reports a clash with existing state.
func Conflict(format string, args ...any) *Error {
	return Errorf(http.StatusConflict, "conflict", format, args...)
}

// Unavailable reports a peer or resource that cannot be reached now.
func Unavailable(format string, args ...any) *Error {
	return Errorf(http.StatusServiceUnavailable, "unavailable", format, args...)
}

// NoSpace reports a write refused for want of disk space (507
// Insufficient Storage, code no_space): err's own words, and what to do.
// Nothing was stored; the same request succeeds once space is freed.
func NoSpace(err error) *Error {
	return Errorf(http.StatusInsufficientStorage, "no_space", "%v (disk full: free space on this node's disk and try again)", err)
}

// AsError returns err as an *Error: itself if it is one, a 507 for a
// file system's ENOSPC or EDQUOT (NoSpace), else a 500.
func AsError(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return NoSpace(err)
	}
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: err.Error()}
}
