package davfs

import (
	"encoding/xml"
	"errors"
	"net/http"

	"golang.org/x/net/webdav"
)

// msNamespace holds the Win32 properties Windows Explorer sets with
// PROPPATCH after each upload (Win32LastModifiedTime, ...). They are
// accepted (stored when dead properties are kept): a refusal makes
// Explorer report the copy as failed. Without a store, other dead
// properties are refused.
const msNamespace = "urn:schemas-microsoft-com:"

// DeadProps implements webdav.DeadPropsHolder.
func (f *readFile) DeadProps() (map[xml.Name]webdav.Property, error) {
	if f.fs.props == nil || f.t.Level() < 2 {
		return nil, nil
	}
	return f.fs.props.get(f.ctx, f.t)
}

// Patch implements webdav.DeadPropsHolder, all or nothing: the
// modification time (DAV:lastmodified, Win32LastModifiedTime) is set on
// the file (mtime.go), the others are stored when the handler keeps dead
// properties, else only Windows' Win32 ones are accepted (and dropped).
func (f *readFile) Patch(patches []webdav.Proppatch) ([]webdav.Propstat, error) {
	mt, rest, asked, bad := modTimePatch(patches)
	setter, canSet := f.fs.b.(ModTimeSetter)
	canSet = canSet && f.t.Level() >= 3
	if asked {
		// DAV:lastmodified is set first: when it cannot be, nothing is
		// changed. (When a dead property is then refused, the time
		// stays set: it is the file's, not a property kept beside it.)
		if bad == nil && !canSet {
			bad = ErrNoModTime
		}
		if bad == nil {
			bad = setter.SetModTime(f.ctx, f.t.Node, f.t.Share, f.t.Path, mt)
		}
		if errors.Is(bad, ErrNoModTime) || errors.Is(bad, errBadModTime) {
			return modTimeRefused(patches, bad), nil
		}
		if bad != nil {
			return nil, fail(f.ctx, bad, 0)
		}
	}
	out, err := f.patchDead(rest)
	if err != nil {
		return nil, err
	}
	if wt := win32ModTime(patches); mt.IsZero() && !wt.IsZero() && canSet && allOK(out) {
		// Windows Explorer's copy keeps the original's date; where the
		// time cannot be set the property is only kept.
		if err := setter.SetModTime(f.ctx, f.t.Node, f.t.Share, f.t.Path, wt); err != nil && !errors.Is(err, ErrNoModTime) {
			return nil, fail(f.ctx, err, 0)
		}
	}
	return withModTimeOK(out, asked), nil
}

// allOK reports whether every propstat is 200.
func allOK(ps []webdav.Propstat) bool {
	for _, p := range ps {
		if p.Status != http.StatusOK {
			return false
		}
	}
	return true
}

// withModTimeOK adds DAV:lastmodified, when it was set (asked), to the
// answer: 200 beside the others' 200, else 424.
func withModTimeOK(out []webdav.Propstat, asked bool) []webdav.Propstat {
	if !asked {
		return out
	}
	prop := webdav.Property{XMLName: propLastModified}
	if allOK(out) {
		if len(out) == 0 {
			out = append(out, webdav.Propstat{Status: http.StatusOK})
		}
		out[0].Props = append(out[0].Props, prop)
		return out
	}
	return append(out, webdav.Propstat{Status: webdav.StatusFailedDependency, Props: []webdav.Property{prop}})
}

// modTimeRefused answers a PROPPATCH whose DAV:lastmodified cannot be
// served: 403 for it, 424 for the rest, nothing changed.
func modTimeRefused(patches []webdav.Proppatch, why error) []webdav.Propstat {
	refused := webdav.Propstat{Status: http.StatusForbidden, ResponseDescription: why.Error(),
		Props: []webdav.Property{{XMLName: propLastModified}}}
	dep := webdav.Propstat{Status: webdav.StatusFailedDependency}
	for _, p := range patches {
		for _, prop := range p.Props {
			if prop.XMLName != propLastModified {
				dep.Props = append(dep.Props, webdav.Property{XMLName: prop.XMLName})
			}
		}
	}
	if len(dep.Props) == 0 {
		return []webdav.Propstat{refused}
	}
	return []webdav.Propstat{refused, dep}
}

// patchDead stores or refuses the dead properties of patches.
func (f *readFile) patchDead(patches []webdav.Proppatch) ([]webdav.Propstat, error) {
	if len(patches) == 0 {
		// Nothing but the modification time, or an empty
		// propertyupdate: one empty 200 (a response needs a propstat).
		return []webdav.Propstat{{Status: http.StatusOK}}, nil
	}
	if f.fs.props != nil && f.t.Level() >= 2 {
		return f.fs.props.patch(f.ctx, f.t, patches)
	}
	ok := webdav.Propstat{Status: http.StatusOK}
	refused := webdav.Propstat{Status: http.StatusForbidden}
	for _, p := range patches {
		for _, prop := range p.Props {
			if prop.XMLName.Space == msNamespace {
				ok.Props = append(ok.Props, webdav.Property{XMLName: prop.XMLName})
			} else {
				refused.Props = append(refused.Props, webdav.Property{XMLName: prop.XMLName})
			}
		}
	}
	if len(refused.Props) == 0 {
		return []webdav.Propstat{ok}, nil
	}
	out := []webdav.Propstat{refused}
	if len(ok.Props) > 0 {
		ok.Status = webdav.StatusFailedDependency
		out = append(out, ok)
	}
	return out, nil
}
