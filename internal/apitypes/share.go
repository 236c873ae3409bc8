package apitypes

import (
	"time"

	"github.com/peerhood/peerhood/internal/api"
)

// ShareAddRequest declares a share.
type ShareAddRequest struct {
	Name      string   `json:"name"`
	Path      string   `json:"path"`
	Workgroup string   `json:"workgroup,omitempty"`
	Allow     []string `json:"allow,omitempty"` // WHO[=ro|rw|none]; none given: everyone reads
	Force     bool     `json:"force,omitempty"` // keep rules naming no member (yet)
}

// ShareSetRequest replaces a share's access list.
type ShareSetRequest struct {
	Allow []string `json:"allow"`
	Force bool     `json:"force,omitempty"` // keep rules naming no member (yet)
}

// FilesRequest names a remote file or folder, NODE:SHARE/path.
type FilesRequest struct {
	Target    string `json:"target"`
	To        string `json:"to,omitempty"`    // mv: NODE:SHARE/path or a path in the same share
	Local     string `json:"local,omitempty"` // get/put: absolute local path (the node reads or writes it)
	Recursive bool   `json:"recursive,omitempty"`
	Workgroup string `json:"workgroup,omitempty"`
	// NoClobber (get, put): refuse to replace an existing file (with -r:
	// an existing destination folder) instead of replacing it.
	NoClobber bool `json:"no_clobber,omitempty"`
}

// ShareConfig is one of this node's shares (mirrors share.Config).
type ShareConfig struct {
	Name      string    `json:"name"`
	Workgroup string    `json:"workgroup"` // workgroup ID
	Path      string    `json:"path"`      // absolute local folder
	Rules     []Rule    `json:"rules"`
	Created   time.Time `json:"created"`
	Warnings  []string  `json:"warnings,omitempty"` // share add and set only
}

// Rule is one access-list entry (mirrors share.Rule).
type Rule struct {
	Who   string `json:"who"`
	Right string `json:"right"`
	// Peer is the peer ID a name rule was bound to when stored: the rule
	// matches that member only, never a later holder of the name.
	Peer string `json:"peer,omitempty"`
}

// ShareInfo is a share a member offers, with this node's right on it
// (mirrors share.ShareInfo).
type ShareInfo struct {
	Name      string `json:"name"`
	Workgroup string `json:"workgroup"`
	Right     string `json:"right"`
}

// FileEntry is a file or folder of a share (mirrors share.Entry).
type FileEntry struct {
	Name  string `json:"name"`
	Size  int64  `json:"size"`
	Mode  uint32 `json:"mode"` // permission bits
	Mtime int64  `json:"mtime_ns"`
	Dir   bool   `json:"dir,omitempty"`
}

// ModTime is the entry's modification time.
func (e FileEntry) ModTime() time.Time { return time.Unix(0, e.Mtime) }

// LsResult lists a remote folder, describes a file, or (for NODE:) lists
// the shares the node offers this node (mirrors share.LsResult).
type LsResult struct {
	Target  string      `json:"target"`
	Shares  []ShareInfo `json:"shares,omitempty"`
	Entry   *FileEntry  `json:"entry,omitempty"`
	Entries []FileEntry `json:"entries,omitempty"`
}

// TransferResult sums up a get or put (mirrors share.Result).
type TransferResult struct {
	Files       int     `json:"files"`
	Bytes       int64   `json:"bytes"`
	Sent        int64   `json:"sent"`
	ResumedFrom int64   `json:"resumed_from"`
	Retries     int     `json:"retries"`
	SHA256      string  `json:"sha256,omitempty"`
	Digest      string  `json:"digest,omitempty"`
	Seconds     float64 `json:"seconds"`
}

// TransferEvent is one line of a get/put NDJSON stream: progress, then a
// last line with Done and Result or Error (mirrors share.TransferEvent).
type TransferEvent struct {
	Name   string          `json:"name,omitempty"`
	Bytes  int64           `json:"bytes,omitempty"`
	Total  int64           `json:"total,omitempty"`
	Done   bool            `json:"done,omitempty"`
	Result *TransferResult `json:"result,omitempty"`
	Error  *Error          `json:"error,omitempty"`
}

// MountInfo is how to mount the node's WebDAV namespace (mirrors
// davfs.MountInfo).
type MountInfo struct {
	URL       string            `json:"url"`
	User      string            `json:"user"`
	Password  string            `json:"password"`
	TokenFile string            `json:"token_file,omitempty"`
	Examples  map[string]string `json:"examples"`
}

// Empty is the request or reply of an endpoint that carries none.
type Empty = api.Empty

// Error is an error reply: {"error": "...", "code": "..."} with the
// HTTP status.
type Error = api.Error
