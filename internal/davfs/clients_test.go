package davfs

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/peerhood/peerhood/internal/share"
)

// The request shapes real clients send, as they send them (headers,
// bodies, order), against a share of this node (served from its disk)
// and one of another node (over the files protocol).

const (
	uaWindows = "Microsoft-WebDAV-MiniRedir/10.0.19045"
	uaFinder  = "WebDAVFS/3.0.0 (03008000) Darwin/22.1.0 (x86_64)"
	uaGvfs    = "gvfs/1.50.4"
	uaRclone  = "rclone/v1.60.1"

	// Windows Explorer: a folder's listing, and the properties it sets
	// after each upload (inside the lock it took).
	winAllprop  = `<?xml version="1.0" encoding="utf-8" ?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`
	winPropfind = `<?xml version="1.0" encoding="utf-8" ?><D:propfind xmlns:D="DAV:"><D:prop xmlns:Z="urn:schemas-microsoft-com:"><D:getcontentlength/><D:getlastmodified/><D:creationdate/><D:resourcetype/><D:displayname/><Z:Win32FileAttributes/><Z:Win32CreationTime/><Z:Win32LastAccessTime/><Z:Win32LastModifiedTime/></D:prop></D:propfind>`
	winLock     = `<?xml version="1.0" encoding="utf-8" ?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>DESKTOP-1\user</D:href></D:owner></D:lockinfo>`
	winPatch    = `<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop><Z:Win32CreationTime>Sat, 01 Jan 2022 10:00:00 GMT</Z:Win32CreationTime><Z:Win32LastAccessTime>Tue, 01 Dec 2026 10:00:00 GMT</Z:Win32LastAccessTime><Z:Win32LastModifiedTime>Sat, 01 Jan 2022 10:00:00 GMT</Z:Win32LastModifiedTime><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>`

	// macOS Finder (webdavfs): a stat, the volume's space, a lock
	// around each write.
	finderStat  = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getlastmodified/><D:getcontentlength/><D:creationdate/><D:resourcetype/></D:prop></D:propfind>`
	finderQuota = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/><D:quota-used-bytes/><D:quota/><D:quotaused/></D:prop></D:propfind>`
	finderLock  = `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>http://www.apple.com/webdav_fs/</D:href></D:owner></D:lockinfo>`

	// GNOME gvfs (Nautilus): a listing, the file system's space.
	gvfsList  = `<?xml version="1.0" encoding="utf-8" ?><D:propfind xmlns:D="DAV:"><D:prop><D:creationdate/><D:displayname/><D:getcontentlength/><D:getcontenttype/><D:getetag/><D:getlastmodified/><D:resourcetype/></D:prop></D:propfind>`
	gvfsQuota = `<?xml version="1.0" encoding="utf-8" ?><D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/><D:quota-used-bytes/></D:prop></D:propfind>`

	// rclone (--webdav-vendor owncloud): its listing, and the
	// modification time it sets.
	rcloneList  = `<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns"><d:prop><d:displayname/><d:getlastmodified/><d:getcontentlength/><d:resourcetype/><d:getcontenttype/><oc:checksums/><oc:permissions/></d:prop></d:propfind>`
	rcloneMtime = `<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><lastmodified xmlns="DAV:">1600000000</lastmodified></D:prop></D:set></D:propertyupdate>`
)

// clientStep is one request of a client's session. In path, headers and
// body "{share}" is the share's path, "{base}" the server's URL, "{token}"
// the lock token of the last LOCK, "{etag}" the ETag of the last PUT or
// HEAD answer and "{prev}" the one before it.
type clientStep struct {
	name    string
	method  string
	path    string
	hdr     map[string]string
	body    string
	chunked bool // sent with Transfer-Encoding: chunked, no Content-Length
	want    int
	// wantRemote, when not 0, is the status on another node's share.
	wantRemote int
	check      func(t *testing.T, r reply, local bool)
}

// hdrs builds a header map from pairs.
func hdrs(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func hasAll(subs ...string) func(*testing.T, reply, bool) {
	return func(t *testing.T, r reply, _ bool) { bodyHas(subs...)(t, r) }
}

func header(name, want string) func(*testing.T, reply, bool) {
	return func(t *testing.T, r reply, _ bool) {
		if got := r.hdr.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// allOf runs every check.
func allOf(cs ...func(*testing.T, reply, bool)) func(*testing.T, reply, bool) {
	return func(t *testing.T, r reply, local bool) {
		for _, c := range cs {
			c(t, r, local)
		}
	}
}

// ifLocal runs c on this node's share and else on another's.
func ifLocal(c, remote func(*testing.T, reply, bool)) func(*testing.T, reply, bool) {
	return func(t *testing.T, r reply, local bool) {
		if local {
			c(t, r, local)
		} else if remote != nil {
			remote(t, r, local)
		}
	}
}

var quotaValue = regexp.MustCompile(`<D:quota-available-bytes>[0-9]+</D:quota-available-bytes><D:quota-used-bytes>[0-9]+</D:quota-used-bytes>`)

// hasQuota: the disk space of this node's share; another node's answers
// 404 for both (the files protocol does not tell it).
var hasQuota = ifLocal(func(t *testing.T, r reply, _ bool) {
	if !quotaValue.MatchString(r.body) {
		t.Errorf("no quota values:\n%s", r.body)
	}
}, hasAll(`<D:quota-available-bytes/><D:quota-used-bytes/>`, "404 Not Found"))

func windowsSteps() []clientStep {
	ua := "User-Agent"
	f := "{share}New%20Text%20Document.txt"
	return []clientStep{
		{name: "options on the root", method: "OPTIONS", path: "/", hdr: hdrs(ua, uaWindows, "translate", "f"), want: 200,
			check: allOf(header("DAV", "1, 2"), header("MS-Author-Via", "DAV"))},
		{name: "options on the share", method: "OPTIONS", path: "{share}", hdr: hdrs(ua, uaWindows, "translate", "f"), want: 200,
			check: allOf(header("DAV", "1, 2"), header("MS-Author-Via", "DAV"))},
		{name: "allprop depth 1 of the root", method: "PROPFIND", path: "/", hdr: hdrs(ua, uaWindows, "Depth", "1", "Content-Type", "text/xml"), body: winAllprop, want: 207,
			check: hasAll("<D:href>/me/</D:href>", "<D:href>/srv/</D:href>")},
		{name: "allprop depth 1 of the share", method: "PROPFIND", path: "{share}", hdr: hdrs(ua, uaWindows, "Depth", "1"), body: winAllprop, want: 207,
			check: hasAll("hello.txt", "<D:getlastmodified>", "<D:supportedlock>")},
		{name: "stat of the new name", method: "PROPFIND", path: f, hdr: hdrs(ua, uaWindows, "Depth", "0"), body: winPropfind, want: 404},
		{name: "create empty", method: "PUT", path: f, hdr: hdrs(ua, uaWindows, "translate", "f"), want: 201},
		{name: "lock", method: "LOCK", path: f, hdr: hdrs(ua, uaWindows, "Timeout", "Second-3600", "Depth", "0"), body: winLock, want: 200,
			check: hasAll("<D:locktoken>", "DESKTOP-1")},
		{name: "write without the token", method: "PUT", path: f, hdr: hdrs(ua, uaWindows), body: "intruder", want: 423},
		{name: "write in the lock", method: "PUT", path: f, hdr: hdrs(ua, uaWindows, "If", "(<{token}>)"), body: "hello from windows", want: 204},
		{name: "win32 properties", method: "PROPPATCH", path: f, hdr: hdrs(ua, uaWindows, "If", "(<{token}>)"), body: winPatch, want: 207,
			check: func(t *testing.T, r reply, _ bool) {
				bodyHas("Win32LastModifiedTime", "200 OK")(t, r)
				bodyLacks("403", "424")(t, r)
			}},
		{name: "properties kept, date set here", method: "PROPFIND", path: f, hdr: hdrs(ua, uaWindows, "Depth", "0"), body: winPropfind, want: 207,
			check: allOf(hasAll("<P:Win32FileAttributes", ">00000020</P:Win32FileAttributes>"),
				ifLocal(hasAll("<D:getlastmodified>Sat, 01 Jan 2022 10:00:00 GMT</D:getlastmodified>"), nil))},
		{name: "unlock", method: "UNLOCK", path: f, hdr: hdrs(ua, uaWindows, "Lock-Token", "<{token}>"), want: 204},
		{name: "read back", method: "GET", path: f, hdr: hdrs(ua, uaWindows, "translate", "f"), want: 200,
			check: func(t *testing.T, r reply, _ bool) {
				if r.body != "hello from windows" {
					t.Errorf("body %q", r.body)
				}
			}},
	}
}

func finderSteps() []clientStep {
	ua := "User-Agent"
	f := "{share}report.txt"
	data := strings.Repeat("finder data ", 1000)
	return []clientStep{
		{name: "options", method: "OPTIONS", path: "{share}", hdr: hdrs(ua, uaFinder), want: 200, check: header("DAV", "1, 2")},
		{name: "stat of the mount", method: "PROPFIND", path: "{share}", hdr: hdrs(ua, uaFinder, "Depth", "0"), body: finderStat, want: 207,
			check: hasAll("<D:collection"),
		},
		{name: "volume space", method: "PROPFIND", path: "{share}", hdr: hdrs(ua, uaFinder, "Depth", "0"), body: finderQuota, want: 207, check: hasQuota},
		{name: "volume space of a file: none", method: "PROPFIND", path: "{share}hello.txt", hdr: hdrs(ua, uaFinder, "Depth", "0"), body: finderQuota, want: 207,
			check: hasAll("<D:quota-available-bytes/>", "404 Not Found")},
		{name: "create empty", method: "PUT", path: f, hdr: hdrs(ua, uaFinder), want: 201},
		{name: "lock", method: "LOCK", path: f, hdr: hdrs(ua, uaFinder, "Timeout", "Second-600", "Depth", "0"), body: finderLock, want: 200},
		{name: "chunked write, longer than announced", method: "PUT", path: f, chunked: true,
			hdr: hdrs(ua, uaFinder, "If", "(<{token}>)", "X-Expected-Entity-Length", "10"), body: data, want: 400},
		{name: "chunked write, shorter than announced", method: "PUT", path: f, chunked: true,
			hdr: hdrs(ua, uaFinder, "If", "(<{token}>)", "X-Expected-Entity-Length", "100000"), body: data, want: 400},
		{name: "still empty", method: "GET", path: f, hdr: hdrs(ua, uaFinder), want: 200, check: func(t *testing.T, r reply, _ bool) {
			if r.body != "" {
				t.Errorf("a refused write left %d bytes", len(r.body))
			}
		}},
		{name: "chunked write in the lock", method: "PUT", path: f, chunked: true,
			hdr: hdrs(ua, uaFinder, "If", "(<{token}>)", "X-Expected-Entity-Length", "12000"), body: data, want: 204},
		{name: "AppleDouble file", method: "PUT", path: "{share}._report.txt", hdr: hdrs(ua, uaFinder), body: "\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ", want: 201},
		{name: "Finder's folder settings", method: "PUT", path: "{share}.DS_Store", hdr: hdrs(ua, uaFinder), body: "\x00\x00\x00\x01Bud1", want: 201},
		{name: "unlock", method: "UNLOCK", path: f, hdr: hdrs(ua, uaFinder, "Lock-Token", "<{token}>"), want: 204},
		{name: "read back", method: "GET", path: f, hdr: hdrs(ua, uaFinder), want: 200, check: func(t *testing.T, r reply, _ bool) {
			if r.body != data {
				t.Errorf("body of %d bytes, want %d", len(r.body), len(data))
			}
		}},
		{name: "listing shows the AppleDouble file", method: "PROPFIND", path: "{share}", hdr: hdrs(ua, uaFinder, "Depth", "1"), body: finderStat, want: 207,
			check: hasAll("._report.txt", ".DS_Store")},
		{name: "drop the AppleDouble file", method: "DELETE", path: "{share}._report.txt", hdr: hdrs(ua, uaFinder), want: 204},
	}
}

func gvfsSteps() []clientStep {
	ua := "User-Agent"
	return []clientStep{
		{name: "options", method: "OPTIONS", path: "{share}", hdr: hdrs(ua, uaGvfs), want: 200, check: header("DAV", "1, 2")},
		{name: "listing", method: "PROPFIND", path: "{share}", hdr: hdrs(ua, uaGvfs, "Depth", "1"), body: gvfsList, want: 207,
			check: hasAll("hello.txt", "<D:getetag>")},
		{name: "file system space", method: "PROPFIND", path: "{share}", hdr: hdrs(ua, uaGvfs, "Depth", "0"), body: gvfsQuota, want: 207, check: hasQuota},
		{name: "depth infinity", method: "PROPFIND", path: "{share}", hdr: hdrs(ua, uaGvfs, "Depth", "infinity"), body: gvfsList, want: 403,
			check: hasAll("propfind-finite-depth")},
		{name: "create, no clobber", method: "PUT", path: "{share}g.txt", hdr: hdrs(ua, uaGvfs, "If-None-Match", "*"), body: "one", want: 201},
		{name: "create again, no clobber", method: "PUT", path: "{share}g.txt", hdr: hdrs(ua, uaGvfs, "If-None-Match", "*"), body: "two", want: 412},
		// gvfs keeps the ETag of a PUT's answer and sends it in If-Match
		// with the next save (an editor's "changed since it was read").
		{name: "save, etag of the create", method: "PUT", path: "{share}g.txt", hdr: hdrs(ua, uaGvfs, "If-Match", "{etag}"), body: "three", want: 204},
		{name: "save, etag of the last save", method: "PUT", path: "{share}g.txt", hdr: hdrs(ua, uaGvfs, "If-Match", "{etag}"), body: "four", want: 204},
		{name: "etag as read", method: "HEAD", path: "{share}g.txt", hdr: hdrs(ua, uaGvfs), want: 200,
			check: func(t *testing.T, r reply, _ bool) {
				if r.hdr.Get("ETag") == "" {
					t.Error("no ETag")
				}
			}},
		{name: "save, etag of an older version", method: "PUT", path: "{share}g.txt", hdr: hdrs(ua, uaGvfs, "If-Match", "{prev}"), body: "five", want: 412},
		{name: "partial write", method: "PUT", path: "{share}g.txt", hdr: hdrs(ua, uaGvfs, "Content-Range", "bytes 0-3/10"), body: "five", want: 400},
		{name: "rename", method: "MOVE", path: "{share}g.txt", hdr: hdrs(ua, uaGvfs, "Destination", "{base}{share}h.txt", "Overwrite", "F"), want: 201},
		{name: "rename over a file, no overwrite", method: "MOVE", path: "{share}h.txt", hdr: hdrs(ua, uaGvfs, "Destination", "{base}{share}hello.txt", "Overwrite", "F"), want: 412},
		{name: "copy over a file, no overwrite", method: "COPY", path: "{share}h.txt", hdr: hdrs(ua, uaGvfs, "Destination", "{base}{share}hello.txt", "Overwrite", "F"), want: 412},
		{name: "nothing replaced", method: "GET", path: "{share}hello.txt", hdr: hdrs(ua, uaGvfs), want: 200, check: hasAll("hello, world")},
	}
}

func rcloneSteps() []clientStep {
	ua := "User-Agent"
	return []clientStep{
		{name: "listing", method: "PROPFIND", path: "{share}", hdr: hdrs(ua, uaRclone, "Depth", "1"), body: rcloneList, want: 207, check: hasAll("hello.txt")},
		{name: "upload keeping its time", method: "PUT", path: "{share}r.txt", hdr: hdrs(ua, uaRclone, "X-OC-Mtime", "1500000000"), body: "via rclone", want: 201,
			check: header("X-OC-Mtime", "accepted")},
		{name: "the time kept", method: "PROPFIND", path: "{share}r.txt", hdr: hdrs(ua, uaRclone, "Depth", "0"), body: rcloneList, want: 207,
			check: hasAll("<D:getlastmodified>Fri, 14 Jul 2017 02:40:00 GMT</D:getlastmodified>")},
		{name: "bad time", method: "PUT", path: "{share}r.txt", hdr: hdrs(ua, uaRclone, "X-OC-Mtime", "yesterday"), body: "x", want: 400},
		{name: "set the time", method: "PROPPATCH", path: "{share}r.txt", hdr: hdrs(ua, uaRclone), body: rcloneMtime, want: 207,
			check: ifLocal(func(t *testing.T, r reply, _ bool) {
				bodyHas("lastmodified", "200 OK")(t, r)
				bodyLacks("403")(t, r)
			}, hasAll("lastmodified", "403 Forbidden"))},
		{name: "the time set", method: "PROPFIND", path: "{share}r.txt", hdr: hdrs(ua, uaRclone, "Depth", "0"), body: rcloneList, want: 207,
			check: ifLocal(hasAll("<D:getlastmodified>Sun, 13 Sep 2020 12:26:40 GMT</D:getlastmodified>"),
				hasAll("<D:getlastmodified>Fri, 14 Jul 2017 02:40:00 GMT</D:getlastmodified>"))},
		{name: "about", method: "PROPFIND", path: "{share}", hdr: hdrs(ua, uaRclone, "Depth", "0"), body: gvfsQuota, want: 207, check: hasQuota},
	}
}

// TestClientRequestShapes replays, on a share of this node and one of
// another node, what Windows Explorer, macOS Finder, GNOME gvfs and
// rclone send.
func TestClientRequestShapes(t *testing.T) {
	t.Parallel()
	n := newTwoNodes(t)
	for _, sh := range []struct {
		name, path, dir string
		local           bool
	}{
		{"local", "/me/mine/", n.mine, true},
		{"remote", "/srv/docs/", n.docs, false},
	} {
		for _, client := range []struct {
			name  string
			steps []clientStep
		}{
			{"windows", windowsSteps()},
			{"finder", finderSteps()},
			{"gvfs", gvfsSteps()},
			{"rclone", rcloneSteps()},
		} {
			t.Run(sh.name+"/"+client.name, func(t *testing.T) {
				write(t, filepath.Join(sh.dir, "hello.txt"), "hello, world\n")
				runClient(t, n.e, sh.path, sh.local, client.steps)
			})
		}
	}
}

// runClient sends steps in order, the share at share.
func runClient(t *testing.T, e *env, share string, local bool, steps []clientStep) {
	t.Helper()
	vars := map[string]string{}
	for _, s := range steps {
		sub := strings.NewReplacer("{share}", share, "{base}", e.srv.URL, "{token}", vars["token"], "{etag}", vars["etag"], "{prev}", vars["prev"])
		h := map[string]string{}
		for k, v := range s.hdr {
			h[k] = sub.Replace(v)
		}
		r := e.send(s.method, sub.Replace(s.path), h, sub.Replace(s.body), s.chunked)
		want := s.want
		if !local && s.wantRemote != 0 {
			want = s.wantRemote
		}
		if r.code != want {
			t.Errorf("%s: %s %s = %d, want %d\n%s", s.name, s.method, s.path, r.code, want, r.body)
			continue
		}
		if tok := r.hdr.Get("Lock-Token"); tok != "" {
			vars["token"] = strings.Trim(tok, "<>")
		}
		if et := r.hdr.Get("ETag"); et != "" && (s.method == "HEAD" || s.method == "PUT") && et != vars["etag"] {
			vars["prev"], vars["etag"] = vars["etag"], et
		}
		if s.check != nil {
			t.Run(s.name, func(t *testing.T) { s.check(t, r, local) })
		}
	}
}

// send is do with a chunked body (no Content-Length) when chunked.
func (e *env) send(method, path string, hdr map[string]string, body string, chunked bool) reply {
	e.t.Helper()
	if !chunked {
		return e.do(method, path, hdr, body)
	}
	req, err := http.NewRequest(method, e.srv.URL+"/", io.MultiReader(strings.NewReader(body)))
	must(e.t, err)
	req.URL.Opaque = path
	req.ContentLength = -1
	req.TransferEncoding = []string{"chunked"}
	req.SetBasicAuth(User, testToken)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(req)
	must(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{code: resp.StatusCode, hdr: resp.Header, body: string(b)}
}

// TestReadOnlyShareRefusesEveryWrite: in a read-only share, of this node
// or another, every method that would change something is 403, OPTIONS
// offers only reading, and the files stay as they were.
func TestReadOnlyShareRefusesEveryWrite(t *testing.T) {
	t.Parallel()
	t.Run("local", func(t *testing.T) {
		e := newEnv(t)
		refusesWrites(t, e, "/alpha/ro/", e.ro, "/alpha/docs/", e.docs)
	})
	t.Run("remote", func(t *testing.T) {
		n := newTwoNodes(t)
		ro := t.TempDir()
		write(t, filepath.Join(ro, "readme.txt"), "read me")
		_, err := n.srv.svc.Configs().Add(t.Context(), share.Config{Name: "rodocs", Workgroup: shareWG, Path: ro,
			Rules: []share.Rule{{Who: "me", Right: "ro"}}})
		must(t, err)
		refusesWrites(t, n.e, "/srv/rodocs/", ro, "/me/mine/", n.mine)
	})
}

// refusesWrites checks the read-only share at base (folder dir, holding
// readme.txt only); rw is a writable share (folder rwDir).
func refusesWrites(t *testing.T, e *env, base, dir, rw, rwDir string) {
	must(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	for _, s := range []struct {
		method, path string
		hdr          map[string]string
		body         string
	}{
		{"PUT", "readme.txt", nil, "changed"},
		{"PUT", "new.txt", nil, "new"},
		{"PUT", "new2.txt", hdrs("X-Expected-Entity-Length", "3"), "new"},
		{"PUT", "new3.txt", hdrs("X-OC-Mtime", "1500000000"), "new"},
		{"DELETE", "readme.txt", nil, ""},
		{"DELETE", "sub/", nil, ""},
		{"MKCOL", "made/", nil, ""},
		{"PROPPATCH", "readme.txt", nil, winPatch},
		{"PROPPATCH", "readme.txt", nil, rcloneMtime},
		{"LOCK", "readme.txt", hdrs("Depth", "0"), winLock},
		{"LOCK", "locknull.txt", hdrs("Depth", "0"), winLock},
		{"MOVE", "readme.txt", hdrs("Destination", e.dest(rw+"moved.txt")), ""},
		{"MOVE", "readme.txt", hdrs("Destination", e.dest(base+"moved.txt")), ""},
		{"COPY", "readme.txt", hdrs("Destination", e.dest(base+"copied.txt")), ""},
		{"POST", "readme.txt", nil, "x"},
		{"PATCH", "readme.txt", nil, "x"},
	} {
		if r := e.do(s.method, base+s.path, s.hdr, s.body); r.code != 403 {
			t.Errorf("%s %s%s = %d, want 403\n%s", s.method, base, s.path, r.code, r.body)
		}
	}
	write(t, filepath.Join(rwDir, "w.txt"), "w")
	for _, m := range []string{"COPY", "MOVE"} {
		if r := e.do(m, rw+"w.txt", hdrs("Destination", e.dest(base+"w.txt")), ""); r.code != 403 {
			t.Errorf("%s into %s = %d, want 403", m, base, r.code)
		}
	}
	r := e.do("OPTIONS", base+"readme.txt", nil, "")
	if r.code != 200 || r.hdr.Get("Allow") != allowRead || r.hdr.Get("DAV") != "1, 2" {
		t.Errorf("OPTIONS in a read-only share = %d, Allow %q, DAV %q", r.code, r.hdr.Get("Allow"), r.hdr.Get("DAV"))
	}
	entries, err := os.ReadDir(dir)
	must(t, err)
	if len(entries) != 2 || read(t, filepath.Join(dir, "readme.txt")) != "read me" || !exists(filepath.Join(rwDir, "w.txt")) {
		t.Fatalf("the read-only share changed: %v", entries)
	}
}
