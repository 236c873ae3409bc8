package davfs

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const (
	testNode  = "alpha"
	testToken = "test-token-0123456789abcdefghijklmnopqrstuv"
	secret    = "TOPSECRET-outside-the-share"
)

// env is a WebDAV server over real temp folders: share "docs" (rw) and
// "ro" (read-only) of node "alpha", and a folder outside both that holds
// a secret and that symlinks inside the share point at.
type env struct {
	t       *testing.T
	srv     *httptest.Server
	docs    string
	more    string // a second writable share
	ro      string
	outside string
	backend *LocalBackend
}

func newEnv(t *testing.T) *env {
	t.Helper()
	base := t.TempDir()
	e := &env{t: t,
		docs:    filepath.Join(base, "docs"),
		ro:      filepath.Join(base, "ro"),
		outside: filepath.Join(base, "outside"),
	}
	for _, d := range []string{e.docs, e.ro, e.outside, filepath.Join(e.docs, "sub"), filepath.Join(e.docs, "dir", "inner")} {
		must(t, os.MkdirAll(d, 0o755))
	}
	write(t, filepath.Join(e.outside, "secret.txt"), secret)
	write(t, filepath.Join(e.docs, "hello.txt"), "hello, world\n")
	write(t, filepath.Join(e.docs, "dir", "a.txt"), "file a")
	write(t, filepath.Join(e.docs, "dir", "inner", "b.txt"), "file b")
	write(t, filepath.Join(e.ro, "readme.txt"), "read me")
	if runtime.GOOS != "windows" {
		must(t, os.Symlink(e.outside, filepath.Join(e.docs, "escape")))
		must(t, os.Symlink(filepath.Join(e.outside, "secret.txt"), filepath.Join(e.docs, "secretlink")))
		must(t, os.Symlink("/etc/passwd", filepath.Join(e.docs, "abslink")))
		must(t, os.Symlink("../../outside", filepath.Join(e.docs, "sub", "up")))
		must(t, os.Symlink("loop", filepath.Join(e.docs, "loop")))
		must(t, os.Symlink("hello.txt", filepath.Join(e.docs, "goodlink")))
		must(t, mkfifo(filepath.Join(e.docs, "fifo")))
		// The links the share package's corpus names.
		must(t, os.MkdirAll(filepath.Join(e.docs, "deep"), 0o755))
		for name, target := range map[string]string{
			"link_out": "../outside", "abs_link": "/etc", "link_up": "..", "sub/link_out2": "../../outside",
			"link_file": "../outside/secret.txt", "deep/link_up2": "../..", "link_loop": "link_loop",
		} {
			must(t, os.Symlink(target, filepath.Join(e.docs, filepath.FromSlash(name))))
		}
	}
	e.backend = NewLocalBackend(testNode)
	t.Cleanup(func() { e.backend.Close() })
	must(t, e.backend.Add("docs", e.docs, false))
	must(t, e.backend.Add("ro", e.ro, true))
	e.more = t.TempDir()
	must(t, e.backend.Add("more", e.more, false))
	e.srv = httptest.NewServer(NewHandler(e.backend, testToken, nil))
	t.Cleanup(e.srv.Close)
	return e
}

type reply struct {
	code int
	hdr  http.Header
	body string
}

// do sends one request; path is sent as the raw request target.
func (e *env) do(method, path string, hdr map[string]string, body string) reply {
	e.t.Helper()
	return e.doAuth(method, path, hdr, body, User, testToken)
}

func (e *env) doAuth(method, path string, hdr map[string]string, body, user, pass string) reply {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+"/", rd)
	must(e.t, err)
	req.URL.Opaque = path // sent verbatim
	if user != "" || pass != "" {
		req.SetBasicAuth(user, pass)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(req)
	must(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{code: resp.StatusCode, hdr: resp.Header, body: string(b)}
}

// port is the server's port.
func (e *env) port() string { return e.srv.URL[strings.LastIndexByte(e.srv.URL, ':')+1:] }

// dest builds a Destination header value on this server.
func (e *env) dest(path string) string { return e.srv.URL + path }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func write(t testing.TB, p, s string) {
	t.Helper()
	must(t, os.WriteFile(p, []byte(s), 0o644))
}

func read(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	must(t, err)
	return string(b)
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
