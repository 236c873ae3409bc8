package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mountInfo mirrors GET /v1/mount-info.
type mountInfo struct {
	URL       string            `json:"url"`
	User      string            `json:"user"`
	Password  string            `json:"password"`
	TokenFile string            `json:"token_file"`
	Examples  map[string]string `json:"examples"`
}

// A running node serves WebDAV on the loopback; mount-info gives a URL
// and credentials that work, and nothing works without them.
func TestMountInfoAndWebDAV(t *testing.T) {
	t.Parallel()
	a := StartNode(t, "alpha", "PEERHOOD_WEBDAV_ADDR=127.0.0.1:0")
	var mi mountInfo
	a.JSON(&mi, "mount-info")
	if !strings.HasPrefix(mi.URL, "http://127.0.0.1:") || mi.User != "peerhood" || len(mi.Password) != 43 {
		t.Fatalf("mount-info: %+v", mi)
	}
	// The commands never hold the token (it would be in some process's
	// arguments): they read the node's token file, or prompt (Windows).
	if !strings.HasSuffix(mi.TokenFile, "webdav.token") {
		t.Errorf("token file %q", mi.TokenFile)
	}
	for _, k := range []string{"davfs2", "rclone", "cadaver", "windows", "macos"} {
		ex := mi.Examples[k]
		if ex == "" || strings.Contains(ex, mi.Password) || (k != "windows" && !strings.Contains(ex, mi.TokenFile)) {
			t.Errorf("example %s: %q", k, ex)
		}
	}
	text := a.MustRun("mount-info")
	if !strings.Contains(text, mi.URL) || !strings.Contains(text, mi.Password) {
		t.Errorf("mount-info text:\n%s", text)
	}
	propfind := func(user, pass string) (int, string) {
		req, err := http.NewRequest("PROPFIND", mi.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Depth", "1")
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := propfind(mi.User, mi.Password); code != 207 || !strings.Contains(body, "/alpha/") {
		t.Fatalf("PROPFIND with mount-info's credentials = %d\n%s", code, body)
	}
	if code, _ := propfind("", ""); code != 401 {
		t.Fatalf("PROPFIND without credentials = %d, want 401", code)
	}
	if code, _ := propfind(mi.User, "wrong"); code != 401 {
		t.Fatalf("PROPFIND with a wrong password = %d, want 401", code)
	}
	// The token survives a restart.
	a.Stop()
	a.Start()
	var again mountInfo
	a.JSON(&again, "mount-info")
	if again.Password != mi.Password {
		t.Fatal("the token changed across a restart")
	}
}

// davReq sends one WebDAV request with mount-info's credentials.
func davReq(t *testing.T, mi mountInfo, method, path, body string, hdr map[string]string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(mi.URL, "/")+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(mi.User, mi.Password)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Two members: bravo's WebDAV server shows alpha's shares with the rights
// alpha's access lists give bravo; alpha's shows its own.
func TestWebDAVOverShares(t *testing.T) {
	t.Parallel()
	alpha := StartNode(t, "alpha", "PEERHOOD_WEBDAV_ADDR=127.0.0.1:0")
	bravo := StartNode(t, "bravo", "PEERHOOD_WEBDAV_ADDR=127.0.0.1:0")
	alpha.MustRun("workgroup", "create", "office")
	tok := strings.TrimSpace(alpha.MustRun("invite"))
	bravo.MustRun("join", tok)

	docs, pub := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(docs, "report.txt"), []byte("quarterly"), 0o644); err != nil {
		t.Fatal(err)
	}
	alpha.MustRun("share", "add", "docs", docs, "--allow", "bravo=rw")
	alpha.MustRun("share", "add", "pub", pub)

	var mb, ma mountInfo
	bravo.JSON(&mb, "mount-info")
	alpha.JSON(&ma, "mount-info")
	depth1 := map[string]string{"Depth": "1"}
	Eventually(t, 20*time.Second, func() error {
		code, body := davReq(t, mb, "PROPFIND", "/alpha/", "", depth1)
		if code != 207 || !strings.Contains(body, "/alpha/docs/") || !strings.Contains(body, "/alpha/pub/") {
			return fmt.Errorf("PROPFIND /alpha/ on bravo = %d\n%s", code, body)
		}
		return nil
	})
	if code, body := davReq(t, mb, "PROPFIND", "/", "", depth1); code != 207 || !strings.Contains(body, "/bravo/") || !strings.Contains(body, "/alpha/") {
		t.Fatalf("PROPFIND / on bravo = %d\n%s", code, body)
	}
	if code, body := davReq(t, mb, "GET", "/alpha/docs/report.txt", "", nil); code != 200 || body != "quarterly" {
		t.Fatalf("GET through bravo = %d %q", code, body)
	}
	if code, body := davReq(t, mb, "PUT", "/alpha/docs/from-bravo.txt", "hello alpha", nil); code != 201 {
		t.Fatalf("PUT through bravo = %d %s", code, body)
	}
	if b, err := os.ReadFile(filepath.Join(docs, "from-bravo.txt")); err != nil || string(b) != "hello alpha" {
		t.Fatalf("alpha's disk holds %q, %v", b, err)
	}
	if code, _ := davReq(t, mb, "PUT", "/alpha/pub/nope.txt", "x", nil); code != 403 {
		t.Fatalf("PUT into a read-only share = %d, want 403", code)
	}
	if _, err := os.Stat(filepath.Join(pub, "nope.txt")); err == nil {
		t.Fatal("a read-only share was written")
	}
	// alpha sees its own shares, writable.
	if code, body := davReq(t, ma, "PROPFIND", "/alpha/docs/", "", depth1); code != 207 || !strings.Contains(body, "from-bravo.txt") {
		t.Fatalf("PROPFIND own share = %d\n%s", code, body)
	}
	if code, _ := davReq(t, ma, "PUT", "/alpha/pub/own.txt", "mine", nil); code != 201 {
		t.Fatalf("PUT into own share = %d", code)
	}
}

// PEERHOOD_WEBDAV_ADDR=off: no server, and mount-info says so.
func TestWebDAVOff(t *testing.T) {
	t.Parallel()
	a := StartNode(t, "alpha", "PEERHOOD_WEBDAV_ADDR=off")
	if out, err := a.Run("mount-info"); err == nil || !strings.Contains(err.Error()+out, "WebDAV server is off") {
		t.Fatalf("mount-info with WebDAV off: %v %s", err, out)
	}
}
