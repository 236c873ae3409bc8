package davfs

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMethodsAndStatusCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var steps []methodStep
	for _, part := range []func(*env) []methodStep{readSteps, createSteps, copyMoveSteps, propDeleteSteps} {
		steps = append(steps, part(e)...) // in order: each part works on what the ones before left
	}
	for _, s := range steps {
		r := e.do(s.method, s.path, s.hdr, s.body)
		if r.code != s.want {
			t.Errorf("%s: %s %s = %d, want %d\n%s", s.name, s.method, s.path, r.code, s.want, r.body)
			continue
		}
		if s.check != nil {
			t.Run(s.name, func(t *testing.T) { s.check(t, r) })
		}
	}
	if read(t, filepath.Join(e.outside, "secret.txt")) != secret {
		t.Fatal("the file outside the share changed")
	}
}

// methodStep is one request of TestMethodsAndStatusCodes, its status and
// what else to check.
type methodStep struct {
	name   string
	method string
	path   string
	hdr    map[string]string
	body   string
	want   int
	check  func(t *testing.T, r reply)
}

var (
	d0 = map[string]string{"Depth": "0"}
	d1 = map[string]string{"Depth": "1"}
)

// bodyHas checks that the reply's body holds every one of subs.
func bodyHas(subs ...string) func(*testing.T, reply) {
	return func(t *testing.T, r reply) {
		for _, s := range subs {
			if !strings.Contains(r.body, s) {
				t.Errorf("reply lacks %q:\n%s", s, r.body)
			}
		}
	}
}

// bodyLacks checks that the reply's body holds none of subs.
func bodyLacks(subs ...string) func(*testing.T, reply) {
	return func(t *testing.T, r reply) {
		for _, s := range subs {
			if strings.Contains(r.body, s) {
				t.Errorf("reply holds %q:\n%s", s, r.body)
			}
		}
	}
}

// onDisk checks that rel in the docs share holds want.
func (e *env) onDisk(rel, want string) func(*testing.T, reply) {
	return func(t *testing.T, r reply) {
		if got := read(t, filepath.Join(e.docs, filepath.FromSlash(rel))); got != want {
			t.Errorf("%s holds %q, want %q", rel, got, want)
		}
	}
}

// gone checks that rel is no longer in the docs share.
func (e *env) gone(rel string) func(*testing.T, reply) {
	return func(t *testing.T, r reply) {
		if exists(filepath.Join(e.docs, filepath.FromSlash(rel))) {
			t.Errorf("%s still exists", rel)
		}
	}
}

// readSteps: OPTIONS, PROPFIND, GET and HEAD, and the Origin check: nothing changes.
func readSteps(e *env) []methodStep {
	return []methodStep{
		{name: "options", method: "OPTIONS", path: "/alpha/docs/", want: 200, check: func(t *testing.T, r reply) {
			if !strings.Contains(r.hdr.Get("DAV"), "2") {
				t.Errorf("DAV header %q lacks class 2", r.hdr.Get("DAV"))
			}
		}},
		{name: "root depth 0", method: "PROPFIND", path: "/", hdr: d0, want: 207, check: bodyLacks("/alpha/")},
		{name: "root lists nodes", method: "PROPFIND", path: "/", hdr: d1, want: 207, check: bodyHas("<D:href>/alpha/</D:href>")},
		{name: "node lists shares", method: "PROPFIND", path: "/alpha/", hdr: d1, want: 207, check: bodyHas("/alpha/docs/", "/alpha/ro/")},
		{name: "share lists files", method: "PROPFIND", path: "/alpha/docs/", hdr: d1, want: 207,
			check: func(t *testing.T, r reply) {
				bodyHas("/alpha/docs/hello.txt", "/alpha/docs/dir/", "/alpha/docs/goodlink", "<D:getcontentlength>13</D:getcontentlength>")(t, r)
				bodyLacks("escape", "secretlink", "abslink", "loop", "fifo", "/alpha/docs/dir/a.txt")(t, r)
			}},
		{name: "propfind infinity refused", method: "PROPFIND", path: "/alpha/docs/", hdr: map[string]string{"Depth": "infinity"}, want: 403, check: bodyHas("propfind-finite-depth")},
		{name: "propfind without depth is depth 1", method: "PROPFIND", path: "/alpha/docs/", want: 207, check: func(t *testing.T, r reply) {
			bodyHas("/alpha/docs/dir/")(t, r)
			bodyLacks("/alpha/docs/dir/a.txt")(t, r)
		}},
		{name: "propfind bad depth", method: "PROPFIND", path: "/alpha/docs/", hdr: map[string]string{"Depth": "2"}, want: 400},
		{name: "propfind missing", method: "PROPFIND", path: "/alpha/docs/nope", hdr: d0, want: 404},
		{name: "propfind unknown node", method: "PROPFIND", path: "/beta/", hdr: d0, want: 404},
		{name: "propfind unknown share", method: "PROPFIND", path: "/alpha/nope/", hdr: d0, want: 404},
		{name: "propfind bad xml", method: "PROPFIND", path: "/alpha/docs/", hdr: d0, body: "<not xml", want: 400},
		{name: "get", method: "GET", path: "/alpha/docs/hello.txt", want: 200, check: bodyHas("hello, world")},
		{name: "get range", method: "GET", path: "/alpha/docs/hello.txt", hdr: map[string]string{"Range": "bytes=7-11"}, want: 206, check: func(t *testing.T, r reply) {
			if r.body != "world" {
				t.Errorf("range body %q", r.body)
			}
		}},
		{name: "head", method: "HEAD", path: "/alpha/docs/hello.txt", want: 200},
		{name: "get folder lists it in HTML", method: "GET", path: "/alpha/docs/dir/", want: 200, check: func(t *testing.T, r reply) {
			bodyHas(`<a href="/alpha/docs/dir/a.txt">a.txt</a>`, `<a href="/alpha/docs/dir/inner/">inner/</a>`, `<a href="/alpha/docs/">../</a>`)(t, r)
			if ct := r.hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type %q", ct)
			}
		}},
		{name: "get root lists nodes", method: "GET", path: "/", want: 200, check: bodyHas(`<a href="/alpha/">alpha/</a>`)},
		{name: "cross-origin refused", method: "GET", path: "/alpha/docs/hello.txt", hdr: map[string]string{"Origin": "https://evil.example"}, want: 403, check: bodyLacks("hello")},
		{name: "own origin allowed", method: "GET", path: "/alpha/docs/hello.txt", hdr: map[string]string{"Origin": e.srv.URL}, want: 200},
		{name: "another loopback port refused", method: "GET", path: "/alpha/docs/hello.txt", hdr: map[string]string{"Origin": "http://127.0.0.1:1"}, want: 403, check: bodyLacks("hello")},
		{name: "get missing", method: "GET", path: "/alpha/docs/nope.txt", want: 404},
		{name: "get through inner symlink", method: "GET", path: "/alpha/docs/goodlink", want: 200, check: bodyHas("hello, world")},
	}
}

// createSteps: PUT and MKCOL.
func createSteps(e *env) []methodStep {
	return []methodStep{
		{name: "put new", method: "PUT", path: "/alpha/docs/new.txt", body: "fresh", want: 201, check: e.onDisk("new.txt", "fresh")},
		{name: "put replaces", method: "PUT", path: "/alpha/docs/new.txt", body: "second", want: 204, check: e.onDisk("new.txt", "second")},
		{name: "put missing parent", method: "PUT", path: "/alpha/docs/no/such/dir.txt", body: "x", want: 409},
		{name: "put onto folder", method: "PUT", path: "/alpha/docs/dir", body: "x", want: 405},
		{name: "put read-only share", method: "PUT", path: "/alpha/ro/x.txt", body: "x", want: 403},
		{name: "put at root", method: "PUT", path: "/x.txt", body: "x", want: 403},
		{name: "put at node", method: "PUT", path: "/alpha/x.txt", body: "x", want: 403},
		{name: "put unknown share", method: "PUT", path: "/alpha/nope/x.txt", body: "x", want: 404},
		{name: "mkcol", method: "MKCOL", path: "/alpha/docs/made", want: 201, check: func(t *testing.T, r reply) {
			if !exists(filepath.Join(e.docs, "made")) {
				t.Error("folder not made")
			}
		}},
		{name: "mkcol exists", method: "MKCOL", path: "/alpha/docs/made", want: 405},
		{name: "mkcol missing parent", method: "MKCOL", path: "/alpha/docs/x/y", want: 409},
		{name: "mkcol with body", method: "MKCOL", path: "/alpha/docs/withbody", body: "<x/>", want: 415},
		{name: "mkcol read-only", method: "MKCOL", path: "/alpha/ro/made", want: 403},
		{name: "mkcol new share", method: "MKCOL", path: "/alpha/newshare", want: 403},
	}
}

// copyMoveSteps: COPY and MOVE, within a share and between shares.
func copyMoveSteps(e *env) []methodStep {
	return []methodStep{
		{name: "copy file", method: "COPY", path: "/alpha/docs/hello.txt", hdr: map[string]string{"Destination": e.dest("/alpha/docs/copy.txt")}, want: 201, check: e.onDisk("copy.txt", "hello, world\n")},
		{name: "copy overwrite F", method: "COPY", path: "/alpha/docs/hello.txt", hdr: map[string]string{"Destination": e.dest("/alpha/docs/copy.txt"), "Overwrite": "F"}, want: 412},
		{name: "copy overwrite T", method: "COPY", path: "/alpha/docs/new.txt", hdr: map[string]string{"Destination": e.dest("/alpha/docs/copy.txt"), "Overwrite": "T"}, want: 204, check: e.onDisk("copy.txt", "second")},
		{name: "copy folder tree", method: "COPY", path: "/alpha/docs/dir/", hdr: map[string]string{"Destination": e.dest("/alpha/docs/dir2/")}, want: 201, check: e.onDisk("dir2/inner/b.txt", "file b")},
		{name: "copy into itself", method: "COPY", path: "/alpha/docs/dir/", hdr: map[string]string{"Destination": e.dest("/alpha/docs/dir/inner/again/")}, want: 403},
		{name: "copy missing parent", method: "COPY", path: "/alpha/docs/hello.txt", hdr: map[string]string{"Destination": e.dest("/alpha/docs/no/such.txt")}, want: 409},
		{name: "copy missing source", method: "COPY", path: "/alpha/docs/nope.txt", hdr: map[string]string{"Destination": e.dest("/alpha/docs/x.txt")}, want: 404},
		{name: "copy from read-only share", method: "COPY", path: "/alpha/ro/readme.txt", hdr: map[string]string{"Destination": e.dest("/alpha/docs/readme.txt")}, want: 201, check: e.onDisk("readme.txt", "read me")},
		{name: "copy into read-only share", method: "COPY", path: "/alpha/docs/hello.txt", hdr: map[string]string{"Destination": e.dest("/alpha/ro/hello.txt")}, want: 403},
		{name: "copy to other host", method: "COPY", path: "/alpha/docs/hello.txt", hdr: map[string]string{"Destination": "http://example.com/alpha/docs/x"}, want: 502},
		{name: "copy without destination", method: "COPY", path: "/alpha/docs/hello.txt", want: 400},
		{name: "move file", method: "MOVE", path: "/alpha/docs/copy.txt", hdr: map[string]string{"Destination": e.dest("/alpha/docs/moved.txt")}, want: 201, check: func(t *testing.T, r reply) {
			e.onDisk("moved.txt", "second")(t, r)
			e.gone("copy.txt")(t, r)
		}},
		{name: "move overwrite F", method: "MOVE", path: "/alpha/docs/moved.txt", hdr: map[string]string{"Destination": e.dest("/alpha/docs/new.txt"), "Overwrite": "F"}, want: 412},
		{name: "move replaces (no Overwrite header means T)", method: "MOVE", path: "/alpha/docs/moved.txt", hdr: map[string]string{"Destination": e.dest("/alpha/docs/new.txt")}, want: 204, check: e.gone("moved.txt")},
		{name: "move missing source", method: "MOVE", path: "/alpha/docs/nope.txt", hdr: map[string]string{"Destination": e.dest("/alpha/docs/x.txt")}, want: 404},
		{name: "move missing parent", method: "MOVE", path: "/alpha/docs/new.txt", hdr: map[string]string{"Destination": e.dest("/alpha/docs/no/such.txt")}, want: 409, check: e.onDisk("new.txt", "second")},
		{name: "move across shares", method: "MOVE", path: "/alpha/docs/new.txt", hdr: map[string]string{"Destination": e.dest("/alpha/ro/new.txt")}, want: 403},
		{name: "move between writable shares", method: "MOVE", path: "/alpha/docs/new.txt", hdr: map[string]string{"Destination": e.dest("/alpha/more/new.txt")}, want: 201, check: func(t *testing.T, r reply) {
			e.gone("new.txt")(t, r)
			if got := read(t, filepath.Join(e.more, "new.txt")); got != "second" {
				t.Fatalf("moved file holds %q", got)
			}
		}},
		{name: "move back between shares, no overwrite, target free", method: "MOVE", path: "/alpha/more/new.txt", hdr: map[string]string{"Destination": e.dest("/alpha/docs/new.txt"), "Overwrite": "F"}, want: 201, check: e.onDisk("new.txt", "second")},
		{name: "move folder between shares", method: "MOVE", path: "/alpha/docs/dir/", hdr: map[string]string{"Destination": e.dest("/alpha/more/dir/")}, want: 201, check: func(t *testing.T, r reply) {
			e.gone("dir")(t, r)
			if got := read(t, filepath.Join(e.more, "dir", "inner", "b.txt")); got != "file b" {
				t.Fatalf("moved tree holds %q", got)
			}
		}},
		{name: "move between shares onto an existing file with Overwrite F", method: "MOVE", path: "/alpha/docs/hello.txt", hdr: map[string]string{"Destination": e.dest("/alpha/more/dir/a.txt"), "Overwrite": "F"}, want: 412, check: e.onDisk("hello.txt", "hello, world\n")},
		{name: "move folder", method: "MOVE", path: "/alpha/docs/dir2/", hdr: map[string]string{"Destination": e.dest("/alpha/docs/dir3/")}, want: 201, check: e.onDisk("dir3/inner/b.txt", "file b")},
		{name: "move folder into itself", method: "MOVE", path: "/alpha/docs/dir3/", hdr: map[string]string{"Destination": e.dest("/alpha/docs/dir3/inner/x/")}, want: 403},
		{name: "move out of read-only", method: "MOVE", path: "/alpha/ro/readme.txt", hdr: map[string]string{"Destination": e.dest("/alpha/docs/r.txt")}, want: 403},
		{name: "move share root", method: "MOVE", path: "/alpha/docs/", hdr: map[string]string{"Destination": e.dest("/alpha/docs2/")}, want: 403},
		{name: "bad overwrite header", method: "MOVE", path: "/alpha/docs/new.txt", hdr: map[string]string{"Destination": e.dest("/alpha/docs/x.txt"), "Overwrite": "maybe"}, want: 400},
	}
}

// propDeleteSteps: PROPPATCH, DELETE, and an unknown method.
func propDeleteSteps(e *env) []methodStep {
	return []methodStep{
		{name: "proppatch", method: "PROPPATCH", path: "/alpha/docs/new.txt", body: `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>`, want: 207},
		{name: "proppatch Win32 times accepted", method: "PROPPATCH", path: "/alpha/docs/new.txt", body: `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop><Z:Win32LastModifiedTime>Wed, 25 Nov 2026 10:00:00 GMT</Z:Win32LastModifiedTime><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>`, want: 207,
			check: func(t *testing.T, r reply) {
				bodyHas("Win32LastModifiedTime", "HTTP/1.1 200 OK")(t, r)
				bodyLacks("403", "424")(t, r)
			}},
		{name: "proppatch other dead props refused", method: "PROPPATCH", path: "/alpha/docs/new.txt", body: `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:" xmlns:E="urn:example"><D:set><D:prop><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes><E:color>red</E:color></D:prop></D:set></D:propertyupdate>`, want: 207,
			check: bodyHas("HTTP/1.1 403 Forbidden", "HTTP/1.1 424 Failed Dependency")},
		{name: "proppatch read-only", method: "PROPPATCH", path: "/alpha/ro/readme.txt", body: `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"></D:propertyupdate>`, want: 403},
		{name: "delete file", method: "DELETE", path: "/alpha/docs/new.txt", want: 204, check: e.gone("new.txt")},
		{name: "delete missing", method: "DELETE", path: "/alpha/docs/new.txt", want: 404},
		{name: "delete folder tree", method: "DELETE", path: "/alpha/docs/dir3/", want: 204, check: e.gone("dir3")},
		{name: "delete escaping symlink removes the link only", method: "DELETE", path: "/alpha/docs/escape", want: 404},
		{name: "delete share root", method: "DELETE", path: "/alpha/docs/", want: 403},
		{name: "delete node", method: "DELETE", path: "/alpha/", want: 403},
		{name: "delete read-only", method: "DELETE", path: "/alpha/ro/readme.txt", want: 403},
		{name: "unknown method", method: "BREW", path: "/alpha/docs/", want: 405},
		{name: "method not served", method: "PATCH", path: "/alpha/docs/hello.txt", want: 405},
	}
}

func TestLocks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	lockBody := `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>test</D:owner></D:lockinfo>`
	r := e.do("LOCK", "/alpha/docs/hello.txt", map[string]string{"Depth": "0", "Timeout": "Second-60"}, lockBody)
	if r.code != 200 {
		t.Fatalf("LOCK = %d %s", r.code, r.body)
	}
	token := r.hdr.Get("Lock-Token")
	if !strings.HasPrefix(token, "<") {
		t.Fatalf("Lock-Token %q", token)
	}
	if r := e.do("LOCK", "/alpha/docs/hello.txt", map[string]string{"Depth": "0"}, lockBody); r.code != 423 {
		t.Errorf("second LOCK = %d, want 423", r.code)
	}
	if r := e.do("PUT", "/alpha/docs/hello.txt", nil, "intruder"); r.code != 423 {
		t.Errorf("PUT without the token = %d, want 423", r.code)
	}
	if r := e.do("DELETE", "/alpha/docs/hello.txt", nil, ""); r.code != 423 {
		t.Errorf("DELETE without the token = %d, want 423", r.code)
	}
	if r := e.do("MOVE", "/alpha/docs/hello.txt", map[string]string{"Destination": e.dest("/alpha/docs/h2.txt")}, ""); r.code != 423 {
		t.Errorf("MOVE without the token = %d, want 423", r.code)
	}
	if r := e.do("MOVE", "/alpha/docs/hello.txt", map[string]string{"Destination": e.dest("/alpha/more/h2.txt")}, ""); r.code != 423 {
		t.Errorf("MOVE to another share without the token = %d, want 423", r.code)
	}
	if _, err := os.Stat(filepath.Join(e.more, "h2.txt")); !os.IsNotExist(err) {
		t.Errorf("a refused MOVE across shares left its copy behind: %v", err)
	}
	if r := e.do("PUT", "/alpha/docs/hello.txt", map[string]string{"If": "(" + token + ")"}, "owner"); r.code != 204 {
		t.Errorf("PUT with the token = %d, want 204: %s", r.code, r.body)
	}
	if got := read(t, filepath.Join(e.docs, "hello.txt")); got != "owner" {
		t.Errorf("file holds %q", got)
	}
	if r := e.do("PUT", "/alpha/docs/hello.txt", map[string]string{"If": "(<opaquelocktoken:bogus>)"}, "x"); r.code != 412 {
		t.Errorf("PUT with a wrong token = %d, want 412", r.code)
	}
	if r := e.do("UNLOCK", "/alpha/docs/hello.txt", map[string]string{"Lock-Token": "<opaquelocktoken:bogus>"}, ""); r.code != 409 {
		t.Errorf("UNLOCK unknown token = %d, want 409", r.code)
	}
	if r := e.do("UNLOCK", "/alpha/docs/hello.txt", map[string]string{"Lock-Token": token}, ""); r.code != 204 {
		t.Errorf("UNLOCK = %d, want 204", r.code)
	}
	if r := e.do("PUT", "/alpha/docs/hello.txt", nil, "free"); r.code != 204 {
		t.Errorf("PUT after UNLOCK = %d, want 204", r.code)
	}
	// LOCK of a missing resource creates it empty (lock-null).
	r = e.do("LOCK", "/alpha/docs/locknull.txt", map[string]string{"Depth": "0"}, lockBody)
	if r.code != 201 {
		t.Errorf("LOCK new = %d, want 201", r.code)
	}
	if got := read(t, filepath.Join(e.docs, "locknull.txt")); got != "" {
		t.Errorf("lock-null file holds %q", got)
	}
	if r := e.do("LOCK", "/alpha/ro/readme.txt", map[string]string{"Depth": "0"}, lockBody); r.code != 403 {
		t.Errorf("LOCK in read-only share = %d, want 403", r.code)
	}
}

func TestAuthOnEveryMethod(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	methods := []string{"OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "PROPFIND", "PROPPATCH"}
	creds := []struct{ name, user, pass string }{
		{"none", "", ""},
		{"wrong password", User, "wrong"},
		{"wrong user", "admin", testToken},
		{"token prefix", User, testToken[:len(testToken)-1]},
		{"empty password", User, ""},
	}
	for _, m := range methods {
		for _, c := range creds {
			r := e.doAuth(m, "/alpha/docs/hello.txt", map[string]string{"Destination": e.dest("/alpha/docs/x.txt")}, "body", c.user, c.pass)
			if r.code != http.StatusUnauthorized {
				t.Errorf("%s with %s: %d, want 401", m, c.name, r.code)
			}
			if m != "HEAD" && strings.Contains(r.body, "hello") {
				t.Errorf("%s with %s revealed content", m, c.name)
			}
			if !strings.HasPrefix(r.hdr.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("%s with %s: WWW-Authenticate %q", m, c.name, r.hdr.Get("WWW-Authenticate"))
			}
		}
	}
	if read(t, filepath.Join(e.docs, "hello.txt")) != "hello, world\n" || exists(filepath.Join(e.docs, "x.txt")) {
		t.Fatal("an unauthenticated request changed the share")
	}
}

func TestHostHeaderRebinding(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	port := e.port()
	for host, want := range map[string]int{
		"127.0.0.1:" + port:   207,
		"localhost:" + port:   207,
		"LOCALHOST:" + port:   207,
		"[::1]:" + port:       207,
		"127.0.0.1":           403, // port 80: another server
		"localhost:4318":      403,
		"127.9.9.9:" + port:   403,
		"evil.example.com":    403,
		"evil.example.com:80": 403,
		"10.0.0.1":            403,
		"localhost.evil.com":  403,
		"0.0.0.0":             403,
	} {
		r := e.do("PROPFIND", "/", map[string]string{"Host": host, "Depth": "0"}, "")
		if r.code != want {
			t.Errorf("Host %q: %d, want %d", host, r.code, want)
		}
	}
}

func TestListingEscapesNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	write(t, filepath.Join(e.docs, "a&b'c onerror=x.txt"), "x")
	r := e.do("GET", "/alpha/docs/", nil, "")
	if r.code != 200 || strings.Contains(r.body, "a&b'c") || !strings.Contains(r.body, "a&amp;b&#39;c onerror=x.txt") {
		t.Fatalf("listing = %d:\n%s", r.code, r.body)
	}
	if !strings.Contains(r.hdr.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatal("listing without a Content-Security-Policy")
	}
}
