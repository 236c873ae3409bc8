package wire

import "fmt"

// Error is the reply frame a handler sends when it refuses a request. Code
// is a short machine-readable word (for example "forbidden", "not_found",
// "bad_request", "not_member"); Message is for humans.
type Error struct {
	Code    string `cbor:"1,keyasint"`
	Message string `cbor:"2,keyasint"`
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Common error codes.
const (
	CodeBadRequest = "bad_request"
	CodeForbidden  = "forbidden"
	CodeNotFound   = "not_found"
	CodeNotMember  = "not_member"
	CodeInternal   = "internal"
	CodeConflict   = "conflict"
	CodeNoSpace    = "no_space"
)
