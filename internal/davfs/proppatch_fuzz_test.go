package davfs

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peerhood/peerhood/internal/store"
)

// FuzzProppatch sends hostile PROPPATCH bodies (the dead properties a
// WebDAV client sets, kept in SQLite) and reads the file's properties
// back with PROPFIND allprop, as a file manager does next: PROPPATCH
// never answers 500, and PROPFIND answers 207 with a well-formed XML
// document whatever properties were stored (their content is written
// back as it came).
func FuzzProppatch(f *testing.F) {
	for _, s := range []string{
		`<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:E="urn:example"><D:set><D:prop><E:color>red &amp; blue</E:color></D:prop></D:set></D:propertyupdate>`,
		`<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>`,
		`<D:propertyupdate xmlns:D="DAV:" xmlns:E="urn:e"><D:set><D:prop><E:x><E:y a="1"/><![CDATA[<z>]]><!-- c --></E:x></D:prop></D:set><D:remove><D:prop><E:w/></D:prop></D:remove></D:propertyupdate>`,
		`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><plain xmlns="" xml:lang="fr">x</plain></D:prop></D:set></D:propertyupdate>`,
		`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:getetag>"x"</D:getetag></D:prop></D:set></D:propertyupdate>`,
		`<D:propertyupdate xmlns:D="DAV:" xmlns:E="urn:e"><D:set><D:prop><E:p>a<?pi x?>b</E:p></D:prop></D:set></D:propertyupdate>`,
		`<D:propertyupdate xmlns:D="DAV:"/>`, ``, `<`,
	} {
		f.Add(s)
	}
	base := f.TempDir()
	docs := filepath.Join(base, "docs")
	must(f, os.MkdirAll(docs, 0o755))
	write(f, filepath.Join(docs, "hello.txt"), "hello")
	db, err := store.Open(context.Background(), filepath.Join(base, "state.db"))
	must(f, err)
	defer db.Close()
	b := NewLocalBackend(testNode)
	defer b.Close()
	must(f, b.Add("docs", docs, false))
	h := NewHandler(b, testToken, nil)
	h.UsePropStore(db)
	do := func(method, body string, hdr map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "http://127.0.0.1/alpha/docs/hello.txt", strings.NewReader(body))
		r.SetBasicAuth(User, testToken)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	f.Fuzz(func(t *testing.T, body string) {
		if _, err := db.Exec(`DELETE FROM davfs_dead_props`); err != nil {
			t.Fatal(err)
		}
		if w := do("PROPPATCH", body, nil); w.Code == http.StatusInternalServerError {
			t.Fatalf("PROPPATCH %q: 500\n%s", body, w.Body)
		}
		w := do("PROPFIND", "", map[string]string{"Depth": "0"})
		if w.Code != http.StatusMultiStatus {
			t.Fatalf("PROPFIND after PROPPATCH %q: %d\n%s", body, w.Code, w.Body)
		}
		dec := xml.NewDecoder(strings.NewReader(w.Body.String()))
		for {
			_, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("PROPFIND after PROPPATCH %q: not XML: %v\n%s", body, err, w.Body)
			}
		}
	})
}
