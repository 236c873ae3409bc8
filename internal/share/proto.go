package share

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"github.com/peerhood/peerhood/internal/wire"
)

// Operations of /peerhood/files/1.
const (
	OpShares  = "shares"
	OpStat    = "stat"
	OpReadDir = "readdir"
	OpRead    = "read"
	OpWrite   = "write"
	OpMkdir   = "mkdir"
	OpRemove  = "remove"
	OpRename  = "rename"
	OpBatch   = "batch" // many small reads or writes on one stream (batch.go)
)

// Limits of the protocol.
const (
	maxFrame = 4 << 20 // a readdir batch of long names fits
	dirBatch = 2000
	// dirBatchMemory is what a readdir stream reserves for its batch in
	// flight (entries and their frame, ~500 bytes an entry).
	dirBatchMemory = dirBatch * 512
	bufSize        = 1 << 20
	maxReqSize     = 16 << 10
)

// Request is the first frame of every stream.
type Request struct {
	Op        string `cbor:"1,keyasint"`
	Share     string `cbor:"2,keyasint,omitempty"`
	Path      string `cbor:"3,keyasint,omitempty"`
	Offset    int64  `cbor:"4,keyasint,omitempty"`
	Length    int64  `cbor:"5,keyasint,omitempty"` // read: bytes wanted, 0 = to the end
	Size      int64  `cbor:"6,keyasint,omitempty"` // write: the whole file's size
	Mtime     int64  `cbor:"7,keyasint,omitempty"` // write: unix ns to keep
	To        string `cbor:"8,keyasint,omitempty"` // rename target
	Recursive bool   `cbor:"9,keyasint,omitempty"`
	HashAll   bool   `cbor:"10,keyasint,omitempty"` // read: trailer hash covers [0, end), not only what was sent
	Resume    bool   `cbor:"11,keyasint,omitempty"` // write: continue an earlier partial upload
	NoCache   bool   `cbor:"12,keyasint,omitempty"` // read: hash the file now, do not send a remembered digest
	Hash      Hash   `cbor:"13,keyasint,omitempty"` // read, write: the digest the client offers for the check ("blake3")
}

// ShareInfo is a share as a member sees it: its name and the member's
// right on it.
type ShareInfo struct {
	Name      string `json:"name" cbor:"1,keyasint"`
	Workgroup string `json:"workgroup" cbor:"2,keyasint"`
	Right     Right  `json:"right" cbor:"3,keyasint"`
}

// Reply is the server's header (and, for read and write, trailer) frame.
type Reply struct {
	Err     *wire.Error `cbor:"1,keyasint,omitempty"`
	Shares  []ShareInfo `cbor:"2,keyasint,omitempty"`
	Entry   *Entry      `cbor:"3,keyasint,omitempty"`
	Entries []Entry     `cbor:"4,keyasint,omitempty"`
	More    bool        `cbor:"5,keyasint,omitempty"`
	Offset  int64       `cbor:"6,keyasint,omitempty"`
	Length  int64       `cbor:"7,keyasint,omitempty"`
	Sum     []byte      `cbor:"8,keyasint,omitempty"` // read trailer: digest in the header's Hash
	Changed bool        `cbor:"9,keyasint,omitempty"`
	Hash    Hash        `cbor:"10,keyasint,omitempty"` // read, write header: the digest the trailer uses ("": SHA-256)
}

// Trailer ends an upload's bytes.
type Trailer struct {
	Sum   []byte `cbor:"1,keyasint"`           // digest of the whole file in the header reply's Hash
	Abort string `cbor:"2,keyasint,omitempty"` // the sender gives up (its file changed)
}

// DecodeRequest decodes and checks a request frame body. It is the
// protocol's entry point for untrusted bytes.
func DecodeRequest(b []byte) (Request, error) {
	var r Request
	if len(b) > maxReqSize {
		return r, fmt.Errorf("request is %d bytes, limit %d", len(b), maxReqSize)
	}
	if err := wire.Unmarshal(b, &r); err != nil {
		return r, err
	}
	switch r.Op {
	case OpShares:
		return r, nil
	case OpStat, OpReadDir, OpRead, OpWrite, OpMkdir, OpRemove, OpRename, OpBatch:
	default:
		return r, fmt.Errorf("unknown operation %q", r.Op)
	}
	return checkRequest(r)
}

// checkRequest checks a decoded request's share name, numbers and paths
// (cleaning them).
func checkRequest(r Request) (Request, error) {
	if err := ValidateShareName(r.Share); err != nil {
		return r, err
	}
	if r.Offset < 0 || r.Length < 0 || r.Size < 0 {
		return r, fmt.Errorf("negative offset, length or size")
	}
	cp, err := CleanPath(r.Path)
	if err != nil {
		return r, err
	}
	r.Path = cp
	if r.Op == OpRename {
		if r.To, err = CleanPath(r.To); err != nil {
			return r, err
		}
	}
	return r, nil
}

// Errors a client sees (errors.Is works on what Client methods return).
var (
	ErrForbidden = errors.New("permission denied")
	ErrNotFound  = errors.New("not found")
	ErrChanged   = errors.New("file changed while it was read")
	ErrNoSpace   = errors.New("no space left on the receiving disk")
	ErrCorrupt   = errors.New("digest of the received file does not match the sender's")
)

// RemoteError is a refusal sent by the sharing node.
type RemoteError struct {
	Code    string
	Message string
}

func (e *RemoteError) Error() string { return e.Message }

func remoteErr(w *wire.Error) *RemoteError { return &RemoteError{Code: w.Code, Message: w.Message} }

// Is maps codes to this package's sentinel errors.
func (e *RemoteError) Is(target error) bool {
	switch e.Code {
	case wire.CodeForbidden:
		return target == ErrForbidden
	case wire.CodeNotFound:
		return target == ErrNotFound
	case wire.CodeNoSpace:
		return target == ErrNoSpace
	case wire.CodeBadRequest:
		return target == ErrBadPath
	case codeChanged:
		return target == ErrChanged
	case codeCorrupt:
		return target == ErrCorrupt
	}
	return false
}

const (
	codeChanged = "changed"
	codeCorrupt = "corrupt"
	codeIsDir   = "is_dir"
	codeBusy    = "busy"
)

// toWire turns a local error into a refusal that leaks no local path.
func toWire(err error) *wire.Error {
	var we *wire.Error
	if errors.As(err, &we) {
		return we
	}
	var pe *fs.PathError
	msg := err.Error()
	if errors.As(err, &pe) {
		msg = pe.Op + " " + pe.Path + ": " + pe.Err.Error()
	}
	switch {
	case errors.Is(err, ErrBadPath):
		return &wire.Error{Code: wire.CodeBadRequest, Message: msg}
	case errors.Is(err, ErrForbidden):
		return &wire.Error{Code: wire.CodeForbidden, Message: msg}
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, ErrNotFound):
		return &wire.Error{Code: wire.CodeNotFound, Message: msg}
	case errors.Is(err, fs.ErrExist), errors.Is(err, syscall.ENOTEMPTY):
		return &wire.Error{Code: wire.CodeConflict, Message: msg}
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return &wire.Error{Code: wire.CodeNoSpace, Message: "no space left on the sharing node's disk: " + msg}
	case errors.Is(err, fs.ErrPermission):
		return &wire.Error{Code: wire.CodeForbidden, Message: msg}
	case errors.Is(err, errIsDir):
		return &wire.Error{Code: codeIsDir, Message: msg}
	case errors.Is(err, ErrChanged):
		return &wire.Error{Code: codeChanged, Message: msg}
	case errors.Is(err, ErrCorrupt):
		return &wire.Error{Code: codeCorrupt, Message: msg}
	}
	// os.Root's escape refusal ("path escapes from parent") and a link
	// loop answer as a missing name does, word for word: a link leaving
	// the share is not revealed to members (the owner's WebDAV gateway
	// answers the same).
	if pe != nil && pe.Err != nil && (pe.Err.Error() == "path escapes from parent" || errors.Is(pe.Err, syscall.ELOOP)) {
		return &wire.Error{Code: wire.CodeNotFound, Message: pe.Op + " " + pe.Path + ": " + syscall.ENOENT.Error()}
	}
	return &wire.Error{Code: wire.CodeInternal, Message: msg}
}
