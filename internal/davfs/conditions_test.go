package davfs

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/webdav"

	"github.com/peerhood/peerhood/internal/store"
)

// etagOfFile is the entity tag the gateway gives a file on disk.
func etagOfFile(t *testing.T, p string) string {
	t.Helper()
	fi, err := os.Stat(p)
	must(t, err)
	return etagOf(FileInfo{ModTime: fi.ModTime(), Size: fi.Size()})
}

// TestConditionalRequests: RFC 9110 preconditions hold on PUT, DELETE
// and MOVE: a false one is 412 and changes nothing.
func TestConditionalRequests(t *testing.T) {
	e := newEnv(t)
	hello := filepath.Join(e.docs, "hello.txt")
	good := etagOfFile(t, hello)
	past := time.Now().Add(-48 * time.Hour).UTC().Format(http.TimeFormat)
	mv := func(h map[string]string) map[string]string {
		h["Destination"] = e.dest("/alpha/more/moved.txt")
		return h
	}
	for _, tc := range []struct {
		name, method string
		hdr          map[string]string
	}{
		{"PUT If-Match wrong", "PUT", map[string]string{"If-Match": `"nope"`}},
		{"PUT If-None-Match *", "PUT", map[string]string{"If-None-Match": "*"}},
		{"PUT If-None-Match current", "PUT", map[string]string{"If-None-Match": good}},
		{"PUT If-Unmodified-Since past", "PUT", map[string]string{"If-Unmodified-Since": past}},
		{"PUT If-Match weak", "PUT", map[string]string{"If-Match": "W/" + good}},
		{"DELETE If-Match wrong", "DELETE", map[string]string{"If-Match": `"nope"`}},
		{"DELETE If-None-Match *", "DELETE", map[string]string{"If-None-Match": "*"}},
		{"DELETE If-Unmodified-Since past", "DELETE", map[string]string{"If-Unmodified-Since": past}},
		{"MOVE If-Match wrong", "MOVE", mv(map[string]string{"If-Match": `"nope"`})},
		{"MOVE If-None-Match *", "MOVE", mv(map[string]string{"If-None-Match": "*"})},
		{"MOVE If-Unmodified-Since past", "MOVE", mv(map[string]string{"If-Unmodified-Since": past})},
		{"WebDAV If wrong etag", "PUT", map[string]string{"If": `(["nope"])`}},
		{"WebDAV If Not current etag", "DELETE", map[string]string{"If": "(Not [" + good + "])"}},
	} {
		if r := e.do(tc.method, "/alpha/docs/hello.txt", tc.hdr, "overwritten"); r.code != 412 {
			t.Errorf("%s = %d, want 412\n%s", tc.name, r.code, r.body)
		}
	}
	if read(t, hello) != "hello, world\n" || exists(filepath.Join(e.more, "moved.txt")) {
		t.Fatal("a failed precondition changed something")
	}
	for _, tc := range []struct {
		name string
		hdr  func(etag string) map[string]string
	}{
		{"If-Match current", func(g string) map[string]string { return map[string]string{"If-Match": g} }},
		{"WebDAV If current etag", func(g string) map[string]string { return map[string]string{"If": "([" + g + "])"} }},
		{"If-Match *", func(string) map[string]string { return map[string]string{"If-Match": "*"} }},
		{"If-Unmodified-Since now", func(string) map[string]string {
			return map[string]string{"If-Unmodified-Since": time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}
		}},
	} {
		r := e.do("PUT", "/alpha/docs/hello.txt", tc.hdr(etagOfFile(t, hello)), "hello, world\n")
		if r.code != 204 {
			t.Errorf("%s = %d, want 204\n%s", tc.name, r.code, r.body)
		}
	}
	if r := e.do("PUT", "/alpha/docs/brand-new.txt", map[string]string{"If-None-Match": "*"}, "new"); r.code != 201 {
		t.Errorf("PUT new with If-None-Match * = %d, want 201", r.code)
	}
	if r := e.do("PUT", "/alpha/docs/missing.txt", map[string]string{"If-Match": "*"}, "new"); r.code != 412 || exists(filepath.Join(e.docs, "missing.txt")) {
		t.Errorf("PUT missing with If-Match * = %d, want 412", r.code)
	}
}

// TestIfHeaderWithLocks: lock token plus a wrong ETag is 412; the right
// pair works; a MOVE inside a share with the source's token works (the
// destination need not be locked).
func TestIfHeaderWithLocks(t *testing.T) {
	e := newEnv(t)
	hello := filepath.Join(e.docs, "hello.txt")
	r := e.do("LOCK", "/alpha/docs/hello.txt", map[string]string{"Depth": "0"}, lockBody)
	if r.code != 200 {
		t.Fatalf("LOCK = %d", r.code)
	}
	tok := strings.Trim(r.hdr.Get("Lock-Token"), "<>")
	if !strings.HasPrefix(tok, "urn:uuid:") || len(tok) != len("urn:uuid:")+36 {
		t.Errorf("lock token %q is not a urn:uuid: URI", tok)
	}
	if r := e.do("PUT", "/alpha/docs/hello.txt", map[string]string{"If": "(<" + tok + `> ["nope"])`}, "x"); r.code != 412 {
		t.Errorf("PUT with token and a wrong ETag = %d, want 412", r.code)
	}
	good := etagOfFile(t, hello)
	if r := e.do("PUT", "/alpha/docs/hello.txt", map[string]string{"If": "(<" + tok + "> [" + good + "])"}, "mine"); r.code != 204 {
		t.Errorf("PUT with token and the ETag = %d, want 204\n%s", r.code, r.body)
	}
	if r := e.do("PUT", "/alpha/docs/hello.txt", map[string]string{"If": `(["` + "x" + `"]) (<` + tok + ">)"}, "again"); r.code != 204 {
		t.Errorf("PUT with a second, true list = %d, want 204", r.code)
	}
	r = e.do("MOVE", "/alpha/docs/hello.txt", map[string]string{"Destination": e.dest("/alpha/docs/sub/hello.txt"), "If": "(<" + tok + ">)"}, "")
	if r.code != 201 {
		t.Errorf("MOVE with the source's token = %d, want 201\n%s", r.code, r.body)
	}
	if read(t, filepath.Join(e.docs, "sub", "hello.txt")) != "again" {
		t.Error("the move did not happen")
	}
	// The lock did not move with the file: the new place is free.
	if r := e.do("PUT", "/alpha/docs/sub/hello.txt", nil, "free"); r.code != 204 {
		t.Errorf("PUT at the moved file = %d, want 204", r.code)
	}
	// A tagged list naming another server's resource is not about us.
	if r := e.do("PUT", "/alpha/docs/sub/hello.txt", map[string]string{"If": `<http://evil.example/alpha/docs/sub/hello.txt> (Not ["x"])`}, "y"); r.code != 412 {
		t.Errorf("If with a foreign tag = %d, want 412", r.code)
	}
	if r := e.do("PUT", "/alpha/docs/sub/hello.txt", map[string]string{"If": `(<broken`}, "y"); r.code != 400 {
		t.Errorf("malformed If = %d, want 400", r.code)
	}
}

// TestPartialPutRefused: a PUT with Content-Range would truncate the
// file to the range: refused with 400, the file unchanged.
func TestPartialPutRefused(t *testing.T) {
	e := newEnv(t)
	if r := e.do("PUT", "/alpha/docs/hello.txt", map[string]string{"Content-Range": "bytes 0-1/13"}, "HE"); r.code != 400 {
		t.Errorf("PUT with Content-Range = %d, want 400", r.code)
	}
	if got := read(t, filepath.Join(e.docs, "hello.txt")); got != "hello, world\n" {
		t.Errorf("file holds %q", got)
	}
}

// TestDestinationLocalhostIsSameServer: localhost:PORT and [::1]:PORT
// name this server; another port or host does not.
func TestDestinationLocalhostIsSameServer(t *testing.T) {
	e := newEnv(t)
	port := e.port()
	for i, tc := range []struct {
		host string
		want int
	}{
		{"localhost:" + port, 201},
		{"LOCALHOST:" + port, 201},
		{"127.0.0.1:" + nextPort(port), 502},
		{"evil.example:" + port, 502},
	} {
		name := "/alpha/docs/c" + string(rune('0'+i)) + ".txt"
		r := e.do("COPY", "/alpha/docs/hello.txt", map[string]string{"Destination": "http://" + tc.host + name}, "")
		if r.code != tc.want {
			t.Errorf("COPY to http://%s%s = %d, want %d\n%s", tc.host, name, r.code, tc.want, r.body)
		}
	}
}

// TestLockTimeouts: the timeout granted is real and shown (never
// Second-0), and a lock ends when it runs out.
func TestLockTimeouts(t *testing.T) {
	e := newEnv(t)
	for asked, want := range map[string]string{"": "Second-3600", "Infinite": "Second-3600", "Second-0": "Second-60", "Second-120": "Second-120", "Second-99999999": "Second-86400"} {
		r := e.do("LOCK", "/alpha/docs/hello.txt", map[string]string{"Depth": "0", "Timeout": asked}, lockBody)
		if r.code != 200 || !strings.Contains(r.body, want) || r.hdr.Get("Lock-Token") == "" {
			t.Errorf("LOCK Timeout %q = %d, want %s:\n%s", asked, r.code, want, r.body)
		}
		e.do("UNLOCK", "/alpha/docs/hello.txt", map[string]string{"Lock-Token": r.hdr.Get("Lock-Token")}, "")
	}
	ls := newLockSystem()
	t0 := time.Unix(1_700_000_000, 0)
	tok, err := ls.createLock(t0, webdav.LockDetails{Root: "/a/b/c", Duration: 2 * time.Minute}, false)
	must(t, err)
	if len(ls.blocking(t0.Add(time.Minute), "/a/b/c", false, false)) != 1 {
		t.Fatal("lock missing before its timeout")
	}
	if _, err := ls.createLock(t0.Add(time.Minute), webdav.LockDetails{Root: "/a/b", Duration: time.Minute}, false); err != webdav.ErrLocked {
		t.Errorf("depth-infinity lock over a locked member: %v, want ErrLocked", err)
	}
	if len(ls.blocking(t0.Add(2*time.Minute), "/a/b/c", false, false)) != 0 {
		t.Fatal("lock still there after its timeout")
	}
	if _, err := ls.Refresh(t0.Add(3*time.Minute), tok, time.Minute); err != webdav.ErrNoSuchLock {
		t.Errorf("refresh of an expired lock: %v", err)
	}
}

// FuzzParseIf: the If header parser never panics, and what it accepts
// has at least one list, each with at least one condition.
func FuzzParseIf(f *testing.F) {
	for _, s := range []string{`(<urn:uuid:1>)`, `(Not <a> ["e"]) (["x"])`, `<http://h/p> (<t>) <http://h/q> (["x"])`, `(`, `()`, `<x>`, `(Not)`, `(<>)`, `([])`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lists, err := parseIf(s)
		if err != nil {
			return
		}
		if len(lists) == 0 || len(lists) > maxIfLists {
			t.Fatalf("%q: %d lists", s, len(lists))
		}
		for _, l := range lists {
			if len(l.conds) == 0 {
				t.Fatalf("%q: empty list", s)
			}
			for _, c := range l.conds {
				if (c.token == "") == (c.etag == "") {
					t.Fatalf("%q: condition %+v", s, c)
				}
			}
		}
	})
}

// TestPropfindInvalidNamespace: a body with an invalid namespace
// declaration or an unbound prefix is 400.
func TestPropfindInvalidNamespace(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{
		`<?xml version="1.0"?><propfind xmlns="DAV:"><prop><bar:foo xmlns:bar=""/></prop></propfind>`,
		`<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><x:foo/></D:prop></D:propfind>`,
	} {
		if r := e.do("PROPFIND", "/alpha/docs/", map[string]string{"Depth": "0"}, body); r.code != 400 {
			t.Errorf("PROPFIND %s = %d, want 400", body, r.code)
		}
	}
	ok := `<?xml version="1.0"?><propfind xmlns="DAV:"><prop><bar:foo xmlns:bar="urn:x"/><getetag/></prop></propfind>`
	if r := e.do("PROPFIND", "/alpha/docs/", map[string]string{"Depth": "0"}, ok); r.code != 207 {
		t.Errorf("valid PROPFIND = %d", r.code)
	}
}

// TestSharedLocks: shared locks coexist and exclude an exclusive one; a
// write needs one of their tokens; refresh answers the real timeout; a
// lock-null resource in a missing folder is 409.
func TestSharedLocks(t *testing.T) {
	e := newEnv(t)
	shared := strings.Replace(lockBody, "<D:exclusive/>", "<D:shared/>", 1)
	var toks []string
	for i := 0; i < 2; i++ {
		r := e.do("LOCK", "/alpha/docs/hello.txt", map[string]string{"Depth": "0", "Timeout": "Second-300"}, shared)
		if r.code != 200 || !strings.Contains(r.body, "<D:shared/>") || !strings.Contains(r.body, "Second-300") {
			t.Fatalf("shared LOCK %d = %d\n%s", i, r.code, r.body)
		}
		toks = append(toks, r.hdr.Get("Lock-Token"))
	}
	if r := e.do("LOCK", "/alpha/docs/hello.txt", map[string]string{"Depth": "0"}, lockBody); r.code != 423 {
		t.Errorf("exclusive LOCK over shared ones = %d, want 423", r.code)
	}
	if r := e.do("PUT", "/alpha/docs/hello.txt", nil, "x"); r.code != 423 {
		t.Errorf("PUT without a token = %d, want 423", r.code)
	}
	if r := e.do("PUT", "/alpha/docs/hello.txt", map[string]string{"If": "(" + toks[1] + ")"}, "mine"); r.code != 204 {
		t.Errorf("PUT with a shared token = %d, want 204\n%s", r.code, r.body)
	}
	r := e.do("LOCK", "/alpha/docs/hello.txt", map[string]string{"If": "(" + toks[0] + ")", "Timeout": "Second-600"}, "")
	if r.code != 200 || !strings.Contains(r.body, "Second-600") || !strings.Contains(r.body, "<D:shared/>") {
		t.Errorf("refresh = %d\n%s", r.code, r.body)
	}
	for _, tok := range toks {
		if r := e.do("UNLOCK", "/alpha/docs/hello.txt", map[string]string{"Lock-Token": tok}, ""); r.code != 204 {
			t.Errorf("UNLOCK = %d", r.code)
		}
	}
	if r := e.do("LOCK", "/alpha/docs/no/such.txt", nil, lockBody); r.code != 409 {
		t.Errorf("LOCK in a missing folder = %d, want 409", r.code)
	}
}

// TestDeadProperties: PROPPATCH of any namespace is kept in SQLite and
// returned by PROPFIND (by name, allprop, propname, in a listing); the
// properties follow MOVE and COPY (across shares too) and go with DELETE;
// live DAV: properties are protected.
func TestDeadProperties(t *testing.T) {
	e := newEnv(t)
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	must(t, err)
	defer db.Close()
	e.srv.Config.Handler.(*Handler).UsePropStore(db)
	set := `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:E="urn:example" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>` +
		`<E:color>red &amp; blue</E:color><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes><plain xmlns="">x</plain></D:prop></D:set></D:propertyupdate>`
	if r := e.do("PROPPATCH", "/alpha/docs/hello.txt", nil, set); r.code != 207 || strings.Contains(r.body, "403") || !strings.Contains(r.body, "200 OK") {
		t.Fatalf("PROPPATCH = %d\n%s", r.code, r.body)
	}
	ask := func(p, body string) string {
		t.Helper()
		r := e.do("PROPFIND", p, map[string]string{"Depth": "0"}, body)
		if r.code != 207 {
			t.Fatalf("PROPFIND %s = %d", p, r.code)
		}
		return r.body
	}
	byName := `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><E:color xmlns:E="urn:example"/><D:getetag/></D:prop></D:propfind>`
	if b := ask("/alpha/docs/hello.txt", byName); !strings.Contains(b, `xmlns:P="urn:example">red &amp; blue</P:color>`) || strings.Contains(b, "404 Not Found") {
		t.Errorf("PROPFIND by name:\n%s", b)
	}
	if b := ask("/alpha/docs/hello.txt", ""); !strings.Contains(b, "red &amp; blue") || !strings.Contains(b, "Win32FileAttributes") || !strings.Contains(b, `<plain xmlns="">x</plain>`) {
		t.Errorf("PROPFIND allprop:\n%s", b)
	}
	if b := ask("/alpha/docs/hello.txt", `<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`); !strings.Contains(b, `<P:color xmlns:P="urn:example"/>`) {
		t.Errorf("PROPFIND propname:\n%s", b)
	}
	if r := e.do("PROPFIND", "/alpha/docs/", map[string]string{"Depth": "1"}, byName); !strings.Contains(r.body, "red &amp; blue") {
		t.Errorf("listing lacks the property:\n%s", r.body)
	}
	live := `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:E="urn:example"><D:set><D:prop><D:getetag>"x"</D:getetag><E:size>1</E:size></D:prop></D:set></D:propertyupdate>`
	if r := e.do("PROPPATCH", "/alpha/docs/hello.txt", nil, live); !strings.Contains(r.body, "403") || !strings.Contains(r.body, "424") {
		t.Errorf("PROPPATCH of a live property:\n%s", r.body)
	}
	if b := ask("/alpha/docs/hello.txt", `<D:propfind xmlns:D="DAV:"><D:prop><E:size xmlns:E="urn:example"/></D:prop></D:propfind>`); !strings.Contains(b, "404") {
		t.Errorf("a failed PROPPATCH stored a property:\n%s", b)
	}
	if r := e.do("MKCOL", "/alpha/docs/fresh", nil, ""); r.code != 201 {
		t.Fatalf("MKCOL = %d", r.code)
	}
	for _, step := range []struct{ method, from, to string }{
		{"MOVE", "/alpha/docs/hello.txt", "/alpha/docs/fresh/h.txt"},
		{"COPY", "/alpha/docs/fresh/h.txt", "/alpha/more/h.txt"},
		{"MOVE", "/alpha/docs/fresh/", "/alpha/more/fresh/"},
	} {
		if r := e.do(step.method, step.from, map[string]string{"Destination": e.dest(step.to)}, ""); r.code != 201 {
			t.Fatalf("%s %s = %d\n%s", step.method, step.from, r.code, r.body)
		}
	}
	for _, p := range []string{"/alpha/more/h.txt", "/alpha/more/fresh/h.txt"} {
		if b := ask(p, byName); !strings.Contains(b, "red &amp; blue") {
			t.Errorf("%s lost its property:\n%s", p, b)
		}
	}
	if r := e.do("DELETE", "/alpha/more/h.txt", nil, ""); r.code != 204 {
		t.Fatalf("DELETE = %d", r.code)
	}
	e.do("PUT", "/alpha/more/h.txt", nil, "new")
	if b := ask("/alpha/more/h.txt", byName); strings.Contains(b, "red") {
		t.Errorf("a new file got a deleted one's property:\n%s", b)
	}
}
