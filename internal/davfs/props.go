package davfs

import (
	"encoding/xml"
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

// Patch implements webdav.DeadPropsHolder, all or nothing: stored when
// the handler keeps dead properties, else only Windows' Win32 ones are
// accepted (and dropped).
func (f *readFile) Patch(patches []webdav.Proppatch) ([]webdav.Propstat, error) {
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
