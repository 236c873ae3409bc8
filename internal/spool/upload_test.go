package spool

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peerhood/peerhood/internal/api"
)

// TestUploadThenSend: bytes staged over the control API (as the web UI's
// browser does) go out through the same Send as `copy`: the copy reaches
// bob's inbox with the same bytes, the staged file is gone once sealed,
// a staged upload sends once, and bad names are refused.
func TestUploadThenSend(t *testing.T) {
	alice, bob := connectedPair(t)
	srv := api.NewServer(nil, nil)
	alice.svc.Routes(srv)
	do := func(method, target string, body []byte, out any) int {
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest(method, target, bytes.NewReader(body)))
		if out != nil && rec.Code < 300 {
			if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
				t.Fatalf("%s %s: %v (%s)", method, target, err, rec.Body)
			}
		}
		return rec.Code
	}
	for _, name := range []string{"", "..", "a/b", `a\b`, "x\x00y", strings.Repeat("n", 256)} {
		if code := do("POST", "/v1/uploads?name="+url.QueryEscape(name), []byte("x"), nil); code != http.StatusBadRequest {
			t.Errorf("stage as %q: %d, want 400", name, code)
		}
	}
	data := make([]byte, 300<<10)
	_, _ = rand.Read(data)
	var u Upload
	if code := do("POST", "/v1/uploads?name=photo.jpg", data, &u); code != http.StatusOK || u.Size != int64(len(data)) {
		t.Fatalf("stage: %d %+v", code, u)
	}
	send, _ := json.Marshal(map[string]any{"to": []string{"bob"}, "kind": "file", "uploads": []string{u.ID}})
	var jobs []Job
	if code := do("POST", "/v1/uploads/send", send, &jobs); code != http.StatusOK || len(jobs) != 1 {
		t.Fatalf("send: %d %+v", code, jobs)
	}
	if _, err := os.Stat(filepath.Join(alice.svc.uploadRoot(), u.ID)); !os.IsNotExist(err) {
		t.Errorf("staged upload after the send: %v, want it gone", err)
	}
	if code := do("POST", "/v1/uploads/send", send, nil); code != http.StatusNotFound {
		t.Errorf("second send of one upload: %d, want 404", code)
	}
	waitState(t, alice, jobs[0].ID, StateDelivered)
	ctx := context.Background()
	items, err := bob.svc.Inbox(ctx, KindFile, false)
	if err != nil || len(items) != 1 {
		t.Fatalf("bob's inbox: %+v %v", items, err)
	}
	dest := t.TempDir()
	if _, err := bob.svc.Accept(ctx, items[0].ID, dest); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dest, "photo.jpg")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("accepted copy: %d bytes, %v; want the %d staged", len(got), err, len(data))
	}
	var u2 Upload
	do("POST", "/v1/uploads?name=gone.txt", []byte("bye"), &u2)
	if code := do("DELETE", "/v1/uploads/"+u2.ID, nil, nil); code != http.StatusOK {
		t.Errorf("drop: %d", code)
	}
	if code := do("DELETE", "/v1/uploads/../../etc", nil, nil); code == http.StatusOK {
		t.Errorf("drop of a path: %d", code)
	}
}
