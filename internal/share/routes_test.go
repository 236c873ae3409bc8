package share

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/peerhood/peerhood/internal/apitypes"
)

// The share endpoints through the real mux: declare, list, change,
// remove, with the error statuses a CLI relies on.
func TestShareEndpoints(t *testing.T) {
	svc, s := routedService(t)
	home := t.TempDir()
	svc.KeepOut(home)
	folder := t.TempDir()

	call := func(method, path string, body any) (int, []byte) {
		var b bytes.Buffer
		if body != nil {
			json.NewEncoder(&b).Encode(body)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(method, path, &b))
		return rec.Code, rec.Body.Bytes()
	}
	tests := []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"add naming no member", "POST", "/v1/shares", apitypes.ShareAddRequest{Name: "docs", Path: folder, Allow: []string{"*=ro", "bob=rw"}}, 400},
		{"add", "POST", "/v1/shares", apitypes.ShareAddRequest{Name: "docs", Path: folder, Allow: []string{"*=ro", "bob=rw"}, Force: true}, 200},
		{"add duplicate", "POST", "/v1/shares", apitypes.ShareAddRequest{Name: "Docs", Path: folder}, 409},
		{"add relative path", "POST", "/v1/shares", apitypes.ShareAddRequest{Name: "x", Path: "rel"}, 400},
		{"add the state folder", "POST", "/v1/shares", apitypes.ShareAddRequest{Name: "keys", Path: home}, 400},
		{"add a parent of the state folder", "POST", "/v1/shares", apitypes.ShareAddRequest{Name: "keys", Path: filepath.Dir(home)}, 400},
		{"add bad rule", "POST", "/v1/shares", apitypes.ShareAddRequest{Name: "y", Path: folder, Allow: []string{"bob=write"}}, 400},
		{"add unknown workgroup", "POST", "/v1/shares", apitypes.ShareAddRequest{Name: "z", Path: folder, Workgroup: "nope"}, 400},
		{"set", "PUT", "/v1/shares/docs/access", apitypes.ShareSetRequest{Allow: []string{"*=rw"}}, 200},
		{"set empty", "PUT", "/v1/shares/docs/access", apitypes.ShareSetRequest{}, 400},
		{"set unknown", "PUT", "/v1/shares/nope/access", apitypes.ShareSetRequest{Allow: []string{"*"}}, 404},
		{"ls own share", "GET", "/v1/files/ls?target=me:docs", nil, 200},
		{"ls bad target", "GET", "/v1/files/ls?target=me:docs/../x", nil, 400},
		{"ls unknown member", "GET", "/v1/files/ls?target=ghost:docs", nil, 404},
		{"get relative local", "POST", "/v1/files/get", apitypes.FilesRequest{Target: "ghost:docs/a", Local: "rel"}, 400},
		{"openapi", "GET", "/openapi.json", nil, 200},
		{"rm", "DELETE", "/v1/shares/docs", nil, 200},
		{"rm again", "DELETE", "/v1/shares/docs", nil, 404},
	}
	for _, tc := range tests {
		code, body := call(tc.method, tc.path, tc.body)
		if code != tc.want {
			t.Errorf("%s: status %d want %d: %s", tc.name, code, tc.want, body)
		}
	}
	code, body := call("GET", "/v1/shares", nil)
	var list []Config
	if code != http.StatusOK || json.Unmarshal(body, &list) != nil || len(list) != 0 {
		t.Fatalf("list after rm: %d %s", code, body)
	}
}
