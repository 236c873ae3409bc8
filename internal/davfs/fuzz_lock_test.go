package davfs

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLockAndConditions drives the handler with hostile LOCK bodies,
// Timeout, Depth and If headers on LOCK, PUT and MOVE: it never panics,
// never answers 500, and leaves the file outside the share alone.
func FuzzLockAndConditions(f *testing.F) {
	for _, s := range []struct{ method, depth, timeout, ifh, body string }{
		{"LOCK", "0", "Second-60", "", lockBody},
		{"LOCK", "infinity", "Infinite, Second-4100000000", "", strings.Replace(lockBody, "exclusive", "shared", 1)},
		{"LOCK", "", "", "(<urn:uuid:x>)", ""},
		{"LOCK", "1", "Second--1", "", `<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/><D:shared/></D:lockscope></D:lockinfo>`},
		{"PUT", "", "", `(Not <a> ["x"]) <http://127.0.0.1/alpha/docs/hello.txt> (["y"])`, "data"},
		{"MOVE", "infinity", "", `([W/"1"])`, ""},
	} {
		f.Add(s.method, s.depth, s.timeout, s.ifh, s.body)
	}
	base := f.TempDir()
	docs, outside := filepath.Join(base, "docs"), filepath.Join(base, "outside")
	must(f, os.MkdirAll(docs, 0o755))
	must(f, os.MkdirAll(outside, 0o755))
	write(f, filepath.Join(outside, "secret.txt"), secret)
	b := NewLocalBackend(testNode)
	defer b.Close()
	must(f, b.Add("docs", docs, false))
	h := NewHandler(b, testToken, nil)
	f.Fuzz(func(t *testing.T, method, depth, timeout, ifh, body string) {
		switch method {
		case "LOCK", "PUT", "MOVE", "UNLOCK", "DELETE":
		default:
			return
		}
		write(t, filepath.Join(docs, "hello.txt"), "hello")
		r := httptest.NewRequest(method, "http://127.0.0.1/alpha/docs/hello.txt", strings.NewReader(body))
		r.SetBasicAuth(User, testToken)
		for k, v := range map[string]string{"Depth": depth, "Timeout": timeout, "If": ifh, "Destination": "http://127.0.0.1/alpha/docs/moved.txt"} {
			if v != "" || k == "Destination" {
				r.Header.Set(k, v)
			}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code == http.StatusInternalServerError {
			t.Fatalf("%s Depth=%q Timeout=%q If=%q: 500\n%s", method, depth, timeout, ifh, w.Body)
		}
		if read(t, filepath.Join(outside, "secret.txt")) != secret {
			t.Fatal("the file outside changed")
		}
	})
}
