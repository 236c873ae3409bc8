package share

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The file-body endpoints on this node's own share (a member's goes
// through the same Client calls as get and put, driven by the web UI's
// browser test): a file streams as an attachment, a folder as a zip of
// its tree, and bad targets answer 400.
func TestContentEndpoints(t *testing.T) {
	ctx := context.Background()
	svc, s := routedService(t)
	folder := t.TempDir()
	files := map[string]string{"a.txt": "alpha", "sub/b.txt": "beta"}
	for name, body := range files {
		p := filepath.Join(folder, filepath.FromSlash(name))
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Configs().Add(ctx, Config{Name: "docs", Workgroup: "wg1", Path: folder}); err != nil {
		t.Fatal(err)
	}
	get := func(method, target string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(method, target, strings.NewReader("x")))
		return rec
	}
	tests := []struct {
		name, method, path string
		want               int
	}{
		{"a file", "GET", "/v1/files/content?target=me:docs/a.txt", 200},
		{"a folder as content", "GET", "/v1/files/content?target=me:docs/sub", 400},
		{"a share root as content", "GET", "/v1/files/content?target=me:docs", 400},
		{"a missing file", "GET", "/v1/files/content?target=me:docs/none", 404},
		{"an escaping path", "GET", "/v1/files/content?target=me:docs/../x", 400},
		{"a missing share", "GET", "/v1/files/zip?target=me:nope", 404},
		{"put to a share root", "PUT", "/v1/files/content?target=me:docs", 400},
		{"put without a share", "PUT", "/v1/files/content?target=me:", 400},
		{"put to this node", "PUT", "/v1/files/content?target=me:docs/new.txt", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if rec := get(tc.method, tc.path); rec.Code != tc.want {
				t.Fatalf("%s %s: %d, want %d: %s", tc.method, tc.path, rec.Code, tc.want, rec.Body)
			}
		})
	}
	rec := get("GET", "/v1/files/content?target=me:docs/a.txt")
	if rec.Body.String() != "alpha" || !strings.HasPrefix(rec.Header().Get("Content-Disposition"), "attachment") || rec.Header().Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("file: %q %v", rec.Body, rec.Header())
	}
	rec = get("GET", "/v1/files/zip?target=me:docs")
	if rec.Code != http.StatusOK {
		t.Fatalf("zip: %d %s", rec.Code, rec.Body)
	}
	zr, err := zip.NewReader(bytes.NewReader(rec.Body.Bytes()), int64(rec.Body.Len()))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		got[strings.TrimPrefix(f.Name, "docs/")] = string(b)
	}
	if len(got) != len(files) || got["a.txt"] != "alpha" || got["sub/b.txt"] != "beta" {
		t.Fatalf("zip holds %v, want %v", got, files)
	}
}
