package davfs

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestPropfindLiveProps: DAV:supportedlock advertises both scopes of
// write lock, and a LOCK of each scope is granted as advertised;
// DAV:creationdate is the birth time (RFC 3339) of files and folders of
// this node's shares where the file system records one, and is absent
// (404 by name, not in allprop nor propname) on another node's share,
// whose files protocol does not carry it; allprop and propname list the
// same names.
func TestPropfindLiveProps(t *testing.T) {
	t.Parallel()
	n := newTwoNodes(t)
	// File times come from the kernel's coarse clock, which may be a
	// tick behind time.Now: a file made in the first milliseconds of a
	// second can be stamped with the one before.
	before := time.Now().Add(-50 * time.Millisecond).Truncate(time.Second)
	for _, dir := range []string{n.mine, n.docs} {
		must(t, os.Mkdir(filepath.Join(dir, "d"), 0o755))
		write(t, filepath.Join(dir, "f.txt"), "file")
	}
	after := time.Now()
	// Does this file system record birth times? (tmpfs on old kernels,
	// some overlays do not: the property must then be absent.)
	ls := &localShare{}
	r, err := os.OpenRoot(n.mine)
	must(t, err)
	defer r.Close()
	ls.root = r
	hasBirth := !ls.birth("f.txt").IsZero()
	if !hasBirth {
		t.Logf("no birth time on %s: creationdate is checked absent everywhere", n.mine)
	}

	const (
		allprop  = `<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`
		propname = `<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`
		byName   = `<D:propfind xmlns:D="DAV:"><D:prop><D:creationdate/><D:supportedlock/></D:prop></D:propfind>`
		locks    = "<{DAV:}lockentry><{DAV:}lockscope><{DAV:}exclusive><{DAV:}locktype><{DAV:}write>" +
			"<{DAV:}lockentry><{DAV:}lockscope><{DAV:}shared><{DAV:}locktype><{DAV:}write>"
	)
	cases := []struct {
		name, path string
		created    bool // creationdate served
	}{
		{"local file", "/me/mine/f.txt", hasBirth},
		{"local folder", "/me/mine/d/", hasBirth},
		{"local share root", "/me/mine/", hasBirth},
		{"remote file", "/srv/docs/f.txt", false},
		{"remote folder", "/srv/docs/d/", false},
		{"gateway root", "/", false},
		{"node folder", "/me/", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			props := func(body string) map[string]string { // "status {DAV:}name" -> value
				t.Helper()
				rep := n.e.do("PROPFIND", c.path, map[string]string{"Depth": "0"}, body)
				if rep.code != 207 {
					t.Fatalf("PROPFIND = %d\n%s", rep.code, rep.body)
				}
				out := map[string]string{}
				for _, l := range canonMultistatus(t, rep.body) {
					f := strings.SplitN(l, "|", 3)
					if k, v, ok := strings.Cut(f[2], "="); ok {
						out[strings.TrimPrefix(f[1], "HTTP/1.1 ")+" "+k] = v
					}
				}
				return out
			}
			all, names, asked := props(allprop), props(propname), props(byName)

			if got := asked["200 OK {DAV:}supportedlock"]; got != locks {
				t.Errorf("supportedlock by name = %q, want %q", got, locks)
			}
			if got := all["200 OK {DAV:}supportedlock"]; got != locks {
				t.Errorf("supportedlock in allprop = %q, want %q", got, locks)
			}

			const cd = "200 OK {DAV:}creationdate"
			v, inAll := all[cd]
			_, inNames := names[cd]
			if inAll != c.created || inNames != c.created {
				t.Errorf("creationdate in allprop %v, in propname %v, want %v", inAll, inNames, c.created)
			}
			if c.created {
				if asked[cd] != v {
					t.Errorf("creationdate by name %q, in allprop %q", asked[cd], v)
				}
				at, err := time.Parse(time.RFC3339, v)
				if err != nil || !strings.HasSuffix(v, "Z") {
					t.Errorf("creationdate %q is not RFC 3339 UTC: %v", v, err)
				} else if c.path != "/me/mine/" && (at.Before(before) || at.After(after)) {
					t.Errorf("creationdate %s, want within [%s, %s]", at, before, after)
				}
			} else if _, ok := asked["404 Not Found {DAV:}creationdate"]; !ok {
				t.Errorf("creationdate by name is not 404: %v", asked)
			}

			// allprop and propname name the same properties.
			var a, p []string
			for k := range all {
				a = append(a, k)
			}
			for k := range names {
				p = append(p, k)
			}
			sort.Strings(a)
			sort.Strings(p)
			if strings.Join(a, ",") != strings.Join(p, ",") {
				t.Errorf("allprop names %v, propname %v", a, p)
			}
		})
	}

	// A listing (one directory read, not a stat per entry) says the same.
	rep := n.e.do("PROPFIND", "/me/mine/", map[string]string{"Depth": "1"}, byName)
	for _, href := range []string{"/me/mine/f.txt", "/me/mine/d/"} {
		got := false
		for _, l := range canonMultistatus(t, rep.body) {
			got = got || strings.HasPrefix(l, href+"|HTTP/1.1 200 OK|{DAV:}creationdate=")
		}
		if got != hasBirth {
			t.Errorf("listing: creationdate of %s served %v, want %v\n%s", href, got, hasBirth, rep.body)
		}
	}

	// What is advertised is granted, on either share: two shared locks
	// coexist, an exclusive one is then refused; an exclusive lock alone
	// is granted.
	shared := strings.Replace(lockBody, "<D:exclusive/>", "<D:shared/>", 1)
	for _, p := range []string{"/me/mine/f.txt", "/srv/docs/f.txt"} {
		var toks []string
		for i := 0; i < 2; i++ {
			rep := n.e.do("LOCK", p, map[string]string{"Depth": "0"}, shared)
			if rep.code != 200 || !strings.Contains(rep.body, "<D:lockscope><D:shared/></D:lockscope>") {
				t.Fatalf("%s: shared LOCK %d = %d\n%s", p, i, rep.code, rep.body)
			}
			toks = append(toks, rep.hdr.Get("Lock-Token"))
		}
		if rep := n.e.do("LOCK", p, map[string]string{"Depth": "0"}, lockBody); rep.code != 423 {
			t.Errorf("%s: exclusive LOCK over shared ones = %d, want 423", p, rep.code)
		}
		for _, tok := range toks {
			if rep := n.e.do("UNLOCK", p, map[string]string{"Lock-Token": tok}, ""); rep.code != 204 {
				t.Errorf("%s: UNLOCK = %d", p, rep.code)
			}
		}
		rep := n.e.do("LOCK", p, map[string]string{"Depth": "0"}, lockBody)
		if rep.code != 200 || !strings.Contains(rep.body, "<D:lockscope><D:exclusive/></D:lockscope>") {
			t.Errorf("%s: exclusive LOCK = %d\n%s", p, rep.code, rep.body)
		}
	}
}
