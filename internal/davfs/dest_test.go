package davfs

import (
	"path/filepath"
	"strings"
	"testing"
)

// WebDAV follows the destination rules of get, put and copy
// (share/dest.go): PUT replaces an existing file unless If-None-Match: *
// (WebDAV's --no-clobber), and the refusal says "exists"; a PUT to a
// path ending in / (a folder) is refused instead of creating a file
// with the folder's name.
func TestPutFollowsDestinationRules(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, path string
		hdr        map[string]string
		code       int
		say        string // in the answer's body
		file       string // then holds "new" ("" for nothing to check)
		absent     string // then does not exist
	}{
		{name: "replace", path: "/alpha/docs/hello.txt", code: 204, file: "hello.txt"},
		{name: "no clobber", path: "/alpha/docs/hello.txt", hdr: map[string]string{"If-None-Match": "*"}, code: 412, say: "exists"},
		{name: "folder syntax", path: "/alpha/docs/inbox/", code: 409, say: "ends in / (a folder)", absent: "inbox"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := tc.hdr
			if hdr == nil {
				hdr = map[string]string{}
			}
			r := e.do("PUT", tc.path, hdr, "new")
			if r.code != tc.code || !strings.Contains(r.body, tc.say) {
				t.Fatalf("PUT %s = %d %q, want %d saying %q", tc.path, r.code, r.body, tc.code, tc.say)
			}
			if tc.file != "" && read(t, filepath.Join(e.docs, tc.file)) != "new" {
				t.Fatalf("%s not replaced", tc.file)
			}
			if tc.absent != "" && exists(filepath.Join(e.docs, tc.absent)) {
				t.Fatalf("%s was created", tc.absent)
			}
		})
	}
}
