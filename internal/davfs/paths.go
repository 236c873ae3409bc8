package davfs

import (
	"errors"
	"fmt"
	"strings"

	"github.com/peerhood/peerhood/internal/share"
)

// Limits on request paths.
const (
	MaxPathLen      = 4096             // bytes in a whole request path
	MaxComponentLen = share.MaxNameLen // bytes in one name
	MaxDepth        = 64               // names below a share
)

// TempPrefix starts the names of files being written; they are hidden
// from listings and refused as request paths.
const TempPrefix = ".peerhood-"

// ErrBadPath is wrapped by every path refusal.
var ErrBadPath = errors.New("path refused")

// Target is a parsed request path /NODE/SHARE/path.
type Target struct {
	Node  string // "" at the root
	Share string // "" at the root or a node
	Path  string // share-relative, slash-separated, "" at a share's root
}

// Level is 0 for the root, 1 for a node, 2 for a share's root, 3 below.
func (t Target) Level() int {
	switch {
	case t.Node == "":
		return 0
	case t.Share == "":
		return 1
	case t.Path == "":
		return 2
	}
	return 3
}

// String returns the canonical request path.
func (t Target) String() string {
	s := "/"
	for _, p := range []string{t.Node, t.Share, t.Path} {
		if p == "" {
			break
		}
		if s != "/" {
			s += "/"
		}
		s += p
	}
	return s
}

// ParsePath checks a decoded request path and splits it. It refuses
// rather than cleans: ".", "..", empty components ("//"), backslashes,
// NUL and control bytes, invalid UTF-8, Windows reserved names and
// characters, names ending in a dot or space, over-long names and paths.
// One trailing slash (a collection) is allowed.
func ParsePath(p string) (Target, error) {
	if len(p) > MaxPathLen {
		return Target{}, fmt.Errorf("%w: %d bytes; at most %d", ErrBadPath, len(p), MaxPathLen)
	}
	if !strings.HasPrefix(p, "/") {
		return Target{}, fmt.Errorf("%w: %q does not start with /", ErrBadPath, p)
	}
	if p == "/" {
		return Target{}, nil
	}
	p = strings.TrimSuffix(p[1:], "/")
	parts := strings.Split(p, "/")
	if len(parts) > MaxDepth+2 {
		return Target{}, fmt.Errorf("%w: %d levels deep; at most %d", ErrBadPath, len(parts), MaxDepth+2)
	}
	for _, c := range parts {
		if err := CheckName(c); err != nil {
			return Target{}, err
		}
	}
	t := Target{Node: parts[0]}
	if len(parts) > 1 {
		t.Share = parts[1]
	}
	if len(parts) > 2 {
		t.Path = strings.Join(parts[2:], "/")
	}
	return t, nil
}

// CheckName checks one path component (a node, share, file or folder
// name): not empty, "." or "..", not one of the server's temporary names,
// and the rules of every peerhood path (share.CheckName), so WebDAV and
// the files protocol refuse exactly the same names.
func CheckName(c string) error {
	switch {
	case c == "":
		return fmt.Errorf("%w: empty name (double slash)", ErrBadPath)
	case c == "." || c == "..":
		return fmt.Errorf("%w: %q is not a name", ErrBadPath, c)
	case strings.HasPrefix(c, TempPrefix):
		return fmt.Errorf("%w: names starting with %q are reserved", ErrBadPath, TempPrefix)
	}
	if err := share.CheckName(c); err != nil {
		return fmt.Errorf("%w: %s", ErrBadPath, strings.TrimPrefix(err.Error(), share.ErrBadPath.Error()+": "))
	}
	return nil
}
