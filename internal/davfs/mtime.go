package davfs

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/webdav"
)

// X-OC-Mtime (ownCloud's and Nextcloud's PUT header, sent by rclone with
// --webdav-vendor owncloud or nextcloud and by ownCloud's clients): the
// modification time the uploaded file keeps, in Unix seconds, perhaps
// with a fraction. The answer then carries "X-OC-Mtime: accepted".

// parseOCMtime parses an X-OC-Mtime value: seconds since 1970, with at
// most 9 decimals.
func parseOCMtime(v string) (time.Time, error) {
	sec, frac, _ := strings.Cut(strings.TrimSpace(v), ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	bad := err != nil || len(frac) > 9 || s < 0 || s > 1<<40
	var ns int64
	if !bad && frac != "" {
		ns, err = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		bad = err != nil || strings.HasPrefix(frac, "+") || strings.HasPrefix(frac, "-")
	}
	if bad {
		return time.Time{}, fmt.Errorf("bad X-OC-Mtime %q: want Unix seconds, such as 1764590400", v)
	}
	return time.Unix(s, ns), nil
}

// Setting a modification time with PROPPATCH: DAV:lastmodified holding
// Unix seconds (ownCloud's property, which rclone sets for --webdav-vendor
// owncloud, nextcloud and rclone) and Windows Explorer's
// Win32LastModifiedTime (an HTTP date, sent after each upload so the copy
// keeps the original's date) set the file's modification time on this
// node's shares. The files protocol has no such operation: on another
// node's share DAV:lastmodified is 403 and Win32LastModifiedTime is only
// kept as a dead property.

// ModTimeSetter is an optional Backend method: set the modification time
// of a file or folder. ErrNoModTime: the backend cannot, for this node.
type ModTimeSetter interface {
	SetModTime(ctx context.Context, node, share, path string, mtime time.Time) error
}

// ErrNoModTime: the backend cannot set modification times there.
var ErrNoModTime = errors.New("the modification time cannot be set here (only on this node's shares, below their root)")

// errBadModTime: a DAV:lastmodified the gateway cannot read.
var errBadModTime = errors.New("bad modification time")

var (
	propLastModified  = xml.Name{Space: "DAV:", Local: "lastmodified"}
	propWin32Modified = xml.Name{Space: msNamespace, Local: "Win32LastModifiedTime"}
)

// SetModTime implements ModTimeSetter.
func (b *LocalBackend) SetModTime(ctx context.Context, node, share, p string, mtime time.Time) error {
	s, err := b.share(node, share, true)
	if err != nil {
		return err
	}
	r, err := rel(p)
	if err != nil {
		return err
	}
	return localErr("set the modification time of", p, s.root.Chtimes(r, mtime, mtime))
}

// SetModTime implements ModTimeSetter: this node's shares only.
func (b *ShareBackend) SetModTime(ctx context.Context, node, share, p string, mtime time.Time) error {
	l, ok, err := b.own(ctx, node)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNoModTime
	}
	return l.SetModTime(ctx, node, share, p, mtime)
}

// modTimePatch takes DAV:lastmodified out of patches and returns the
// time asked and whether it was, with a refusal when its value or its
// removal cannot be served.
func modTimePatch(patches []webdav.Proppatch) (mt time.Time, rest []webdav.Proppatch, asked bool, bad error) {
	rest = make([]webdav.Proppatch, 0, len(patches))
	for _, p := range patches {
		q := webdav.Proppatch{Remove: p.Remove}
		for _, prop := range p.Props {
			if prop.XMLName != propLastModified {
				q.Props = append(q.Props, prop)
				continue
			}
			asked = true
			if p.Remove {
				bad = fmt.Errorf("%w: DAV:lastmodified cannot be removed", errBadModTime)
				continue
			}
			t, err := parseOCMtime(string(prop.InnerXML))
			if err != nil {
				bad = fmt.Errorf("%w: DAV:lastmodified: %v", errBadModTime, err)
				continue
			}
			mt = t
		}
		if len(q.Props) > 0 {
			rest = append(rest, q)
		}
	}
	return mt, rest, asked, bad
}

// win32ModTime returns the Win32LastModifiedTime that patches set (zero:
// none, or not a date).
func win32ModTime(patches []webdav.Proppatch) time.Time {
	var mt time.Time
	for _, p := range patches {
		for _, prop := range p.Props {
			if prop.XMLName == propWin32Modified && !p.Remove {
				if t, err := http.ParseTime(strings.TrimSpace(string(prop.InnerXML))); err == nil {
					mt = t
				}
			}
		}
	}
	return mt
}
