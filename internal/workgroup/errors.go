package workgroup

import (
	"errors"
	"fmt"
)

// Error codes of workgroup operations. They travel in wire.Error frames
// of the join protocol and become HTTP statuses in the control API.
const (
	CodeBadRequest    = "bad_request"
	CodeNotFound      = "not_found"
	CodeConflict      = "conflict"
	CodeForbidden     = "forbidden"
	CodeUnavailable   = "unavailable"
	CodeNameTaken     = "name_taken"
	CodeInviteExpired = "invite_expired"
	CodeInviteUsed    = "invite_used"
	CodeInviteUnknown = "invite_unknown"
	CodeMalformed     = "malformed_token"
)

// Error is a workgroup operation's refusal: a machine-readable code and
// a message for humans.
type Error struct {
	Code string
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of err if it is (or wraps) an *Error, else "".
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
