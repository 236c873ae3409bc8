package davfs

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// activePages are files a member could plant in a share to run script in
// the gateway's origin with the victim's credentials.
var activePages = map[string]string{
	"evil.html":  `<script>fetch('/alpha/docs/hello.txt',{method:'DELETE'})</script>`,
	"evil.htm":   `<script>alert(1)</script>`,
	"evil.xhtml": `<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>`,
	"evil.svg":   `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`,
	"evil.xml":   `<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>`,
	"evil.js":    `alert(1)`,
	"evil.mjs":   `alert(1)`,
	"noext":      `<html><script>alert(1)</script></html>`,
}

// TestFileResponsesCannotRunInOrigin: every file the gateway serves
// carries a sandbox CSP and nosniff; active types are attachments.
func TestFileResponsesCannotRunInOrigin(t *testing.T) {
	e := newEnv(t)
	for name, body := range activePages {
		write(t, filepath.Join(e.docs, name), body)
	}
	write(t, filepath.Join(e.docs, "plain.txt"), "<script>alert(1)</script>")
	for _, m := range []string{"GET", "HEAD", "POST"} {
		for name := range activePages {
			r := e.do(m, "/alpha/docs/"+name, nil, "")
			if r.code != 200 {
				t.Errorf("%s %s = %d", m, name, r.code)
				continue
			}
			csp := r.hdr.Get("Content-Security-Policy")
			if !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("%s %s: Content-Security-Policy %q", m, name, csp)
			}
			if r.hdr.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s %s: no nosniff", m, name)
			}
			if !strings.HasPrefix(r.hdr.Get("Content-Disposition"), "attachment") {
				t.Errorf("%s %s: Content-Disposition %q, want attachment", m, name, r.hdr.Get("Content-Disposition"))
			}
		}
	}
	r := e.do("GET", "/alpha/docs/plain.txt", nil, "")
	if !strings.Contains(r.hdr.Get("Content-Security-Policy"), "sandbox") || r.hdr.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("plain.txt: headers %v", r.hdr)
	}
	r = e.do("GET", "/alpha/docs/", nil, "")
	if csp := r.hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("listing CSP %q", csp)
	}
}

// TestWritesNeedOwnOrigin: a state-changing request with an Origin other
// than the gateway's own (another loopback port, a sandboxed page's
// "null", another host) is refused and changes nothing.
func TestWritesNeedOwnOrigin(t *testing.T) {
	e := newEnv(t)
	lb := e.srv.URL
	for _, origin := range []string{"http://127.0.0.1:1", "http://localhost:" + nextPort(e.port()), "null", "http://evil.example", "https://" + strings.TrimPrefix(lb, "http://"), lb + "/x"} {
		for _, m := range []struct{ method, path, body string }{
			{"PUT", "/alpha/docs/hello.txt", "pwned"},
			{"DELETE", "/alpha/docs/hello.txt", ""},
			{"MKCOL", "/alpha/docs/made", ""},
			{"MOVE", "/alpha/docs/hello.txt", ""},
			{"COPY", "/alpha/docs/hello.txt", ""},
			{"PROPPATCH", "/alpha/docs/hello.txt", `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"/>`},
			{"LOCK", "/alpha/docs/hello.txt", lockBody},
			{"POST", "/alpha/docs/hello.txt", "x"},
		} {
			hdr := map[string]string{"Origin": origin, "Destination": e.dest("/alpha/docs/moved.txt")}
			if r := e.do(m.method, m.path, hdr, m.body); r.code != 403 {
				t.Errorf("%s with Origin %q = %d, want 403", m.method, origin, r.code)
			}
		}
	}
	if read(t, filepath.Join(e.docs, "hello.txt")) != "hello, world\n" || exists(filepath.Join(e.docs, "made")) || exists(filepath.Join(e.docs, "moved.txt")) {
		t.Fatal("a refused request changed the share")
	}
	for _, origin := range []string{lb, "http://localhost:" + e.port()} {
		if r := e.do("PUT", "/alpha/docs/own.txt", map[string]string{"Origin": origin}, "ok"); r.code != 201 && r.code != 204 {
			t.Errorf("PUT with own Origin %q = %d", origin, r.code)
		}
	}
}

func nextPort(p string) string {
	n, _ := strconv.Atoi(p)
	return strconv.Itoa(n%65535 + 1)
}
