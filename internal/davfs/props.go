package davfs

import (
	"encoding/xml"
	"net/http"

	"golang.org/x/net/webdav"
)

// msNamespace holds the Win32 properties Windows Explorer sets with
// PROPPATCH after each upload (Win32LastModifiedTime, ...). They are
// accepted and not stored: a refusal makes Explorer report the copy as
// failed. Other dead properties are refused: nothing stores them.
const msNamespace = "urn:schemas-microsoft-com:"

// DeadProps implements webdav.DeadPropsHolder: none are stored.
func (f *readFile) DeadProps() (map[xml.Name]webdav.Property, error) { return nil, nil }

// Patch implements webdav.DeadPropsHolder, all or nothing.
func (f *readFile) Patch(patches []webdav.Proppatch) ([]webdav.Propstat, error) {
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
