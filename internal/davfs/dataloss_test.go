package davfs

import (
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const lockBody = `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>test</D:owner></D:lockinfo>`

// blocker makes, in folder dir, one entry the gateway cannot carry.
type blocker struct {
	name string // as the multistatus names it
	make func(t *testing.T, dir, outside string)
}

func blockers() []blocker {
	file := func(n string) blocker {
		return blocker{n, func(t *testing.T, dir, _ string) { write(t, filepath.Join(dir, n), "user data "+n) }}
	}
	return []blocker{
		file("meeting 12:30.txt"), file("aux.txt"), file("nul"), file("trailingdot."), file(`bad<>".txt`),
		{"escaping-link", func(t *testing.T, dir, outside string) {
			must(t, os.Symlink(outside, filepath.Join(dir, "escaping-link")))
		}},
		{"inner-link", func(t *testing.T, dir, _ string) {
			must(t, os.Symlink("a.txt", filepath.Join(dir, "inner-link")))
		}},
		{"pipe", func(t *testing.T, dir, _ string) { must(t, mkfifo(filepath.Join(dir, "pipe"))) }},
	}
}

// makeProject builds docs/proj with a normal file, a sub-folder and one
// blocker inside the sub-folder.
func makeProject(t *testing.T, e *env, b blocker) string {
	t.Helper()
	proj := filepath.Join(e.docs, "proj")
	must(t, os.MkdirAll(filepath.Join(proj, "sub"), 0o755))
	write(t, filepath.Join(proj, "a.txt"), "a")
	write(t, filepath.Join(proj, "sub", "b.txt"), "b")
	write(t, filepath.Join(proj, "sub", "a.txt"), "inner a")
	b.make(t, filepath.Join(proj, "sub"), e.outside)
	return proj
}

// TestMoveAcrossSharesNeverDeletesWhatItCannotCarry: a MOVE of a folder
// to another share holding a name the gateway refuses, a link or a pipe
// is refused whole (207 naming it): the source keeps everything and the
// destination gets nothing.
func TestMoveAcrossSharesNeverDeletesWhatItCannotCarry(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the names and links are Unix ones")
	}
	for _, b := range blockers() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t)
			proj := makeProject(t, e, b)
			before := snapshot(t, proj, "")
			r := e.do("MOVE", "/alpha/docs/proj/", map[string]string{"Destination": e.dest("/alpha/more/proj/")}, "")
			if r.code != 207 {
				t.Fatalf("MOVE = %d, want 207\n%s", r.code, r.body)
			}
			want := (&url.URL{Path: "/alpha/docs/proj/sub/" + b.name}).EscapedPath()
			if !strings.Contains(r.body, escapeText(want)) {
				t.Errorf("the answer does not name %s:\n%s", want, r.body)
			}
			if after := snapshot(t, proj, ""); after != before {
				t.Errorf("the source changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			if ents, _ := os.ReadDir(e.more); len(ents) != 0 {
				t.Errorf("the destination share holds %d entries, want none", len(ents))
			}
		})
	}
}

// TestCopyInfinityNamesWhatItLeftOut: a deep COPY that cannot carry an
// entry answers 207 naming it (never 201) and copies the rest.
func TestCopyInfinityNamesWhatItLeftOut(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the names and links are Unix ones")
	}
	for _, b := range blockers() {
		if b.name == "inner-link" {
			continue // a link to a file inside the share is copied as the file
		}
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t)
			makeProject(t, e, b)
			r := e.do("COPY", "/alpha/docs/proj/", map[string]string{"Destination": e.dest("/alpha/more/proj/")}, "")
			if r.code != 207 {
				t.Fatalf("COPY = %d, want 207\n%s", r.code, r.body)
			}
			want := (&url.URL{Path: "/alpha/docs/proj/sub/" + b.name}).EscapedPath()
			if !strings.Contains(r.body, escapeText(want)) {
				t.Errorf("the answer does not name %s:\n%s", want, r.body)
			}
			if got := read(t, filepath.Join(e.more, "proj", "sub", "b.txt")); got != "b" {
				t.Errorf("copied b.txt holds %q", got)
			}
		})
	}
}

// TestFailedMoveLeavesDestination: a MOVE across shares refused by a
// lock (423) or a precondition writes nothing at the destination.
func TestFailedMoveLeavesDestination(t *testing.T) {
	e := newEnv(t)
	write(t, filepath.Join(e.docs, "locked.txt"), "source bytes")
	write(t, filepath.Join(e.more, "locked.txt"), "destination bytes")
	r := e.do("LOCK", "/alpha/docs/locked.txt", map[string]string{"Depth": "0"}, lockBody)
	if r.code != 200 {
		t.Fatalf("LOCK = %d %s", r.code, r.body)
	}
	r = e.do("MOVE", "/alpha/docs/locked.txt", map[string]string{"Destination": e.dest("/alpha/more/locked.txt")}, "")
	if r.code != 423 {
		t.Errorf("MOVE without the token = %d, want 423", r.code)
	}
	if got := read(t, filepath.Join(e.more, "locked.txt")); got != "destination bytes" {
		t.Errorf("the destination holds %q after a refused MOVE", got)
	}
	if got := read(t, filepath.Join(e.docs, "locked.txt")); got != "source bytes" {
		t.Errorf("the source holds %q", got)
	}

	// A folder whose member is locked, onto an existing folder.
	must(t, os.MkdirAll(filepath.Join(e.docs, "f"), 0o755))
	write(t, filepath.Join(e.docs, "f", "m.txt"), "member")
	must(t, os.MkdirAll(filepath.Join(e.more, "f"), 0o755))
	write(t, filepath.Join(e.more, "f", "old.txt"), "old")
	if r := e.do("LOCK", "/alpha/docs/f/m.txt", map[string]string{"Depth": "0"}, lockBody); r.code != 200 {
		t.Fatalf("LOCK member = %d", r.code)
	}
	before := snapshot(t, e.more, "")
	r = e.do("MOVE", "/alpha/docs/f/", map[string]string{"Destination": e.dest("/alpha/more/f/")}, "")
	if r.code != 423 {
		t.Errorf("MOVE of a folder with a locked member = %d, want 423\n%s", r.code, r.body)
	}
	if after := snapshot(t, e.more, ""); after != before {
		t.Errorf("the destination changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestMoveAcrossSharesOverwritesWhole: a clean folder replaces an
// existing destination folder exactly, and leaves no temporary names.
func TestMoveAcrossSharesOverwritesWhole(t *testing.T) {
	e := newEnv(t)
	must(t, os.MkdirAll(filepath.Join(e.more, "dir", "gone"), 0o755))
	write(t, filepath.Join(e.more, "dir", "gone", "x.txt"), "replaced")
	r := e.do("MOVE", "/alpha/docs/dir/", map[string]string{"Destination": e.dest("/alpha/more/dir/")}, "")
	if r.code != 204 {
		t.Fatalf("MOVE = %d, want 204\n%s", r.code, r.body)
	}
	if exists(filepath.Join(e.docs, "dir")) {
		t.Error("the source is still there")
	}
	got := snapshot(t, e.more, "")
	for _, want := range []string{"dir/a.txt ---------- file a", "dir/inner/b.txt ---------- file b"} {
		if !strings.Contains(got, want) {
			t.Errorf("destination lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "gone") || strings.Contains(got, "peerhood") {
		t.Errorf("destination holds old or temporary entries:\n%s", got)
	}
}

// TestMoveRefusesToOverwriteUnservable: a destination folder holding
// entries the gateway cannot show is not overwritten (it would delete
// them).
func TestMoveRefusesToOverwriteUnservable(t *testing.T) {
	e := newEnv(t)
	must(t, os.MkdirAll(filepath.Join(e.more, "dir"), 0o755))
	write(t, filepath.Join(e.more, "dir", "aux.txt"), "precious")
	for _, dst := range []string{"/alpha/more/dir/", "/alpha/docs/sub/"} {
		if dst == "/alpha/docs/sub/" {
			write(t, filepath.Join(e.docs, "sub", "nul"), "precious")
		}
		r := e.do("MOVE", "/alpha/docs/dir/", map[string]string{"Destination": e.dest(dst)}, "")
		if r.code != 207 {
			t.Errorf("MOVE onto %s = %d, want 207\n%s", dst, r.code, r.body)
		}
	}
	if read(t, filepath.Join(e.more, "dir", "aux.txt")) != "precious" || read(t, filepath.Join(e.docs, "sub", "nul")) != "precious" {
		t.Fatal("a file the gateway cannot show was deleted")
	}
	if !exists(filepath.Join(e.docs, "dir", "a.txt")) {
		t.Fatal("the source went")
	}
}

// TestDeleteFolderKeepsUnservableNames: deleting a folder that holds
// files under names WebDAV cannot show is refused (207 naming them).
func TestDeleteFolderKeepsUnservableNames(t *testing.T) {
	e := newEnv(t)
	must(t, os.MkdirAll(filepath.Join(e.docs, "p", "sub"), 0o755))
	write(t, filepath.Join(e.docs, "p", "a.txt"), "a")
	write(t, filepath.Join(e.docs, "p", "sub", "meeting 12:30.txt"), "notes")
	r := e.do("DELETE", "/alpha/docs/p/", nil, "")
	if r.code != 207 || !strings.Contains(r.body, "meeting%2012:30.txt") {
		t.Errorf("DELETE = %d, want 207 naming the file\n%s", r.code, r.body)
	}
	if read(t, filepath.Join(e.docs, "p", "sub", "meeting 12:30.txt")) != "notes" || !exists(filepath.Join(e.docs, "p", "a.txt")) {
		t.Fatal("the folder lost files")
	}
	must(t, os.Remove(filepath.Join(e.docs, "p", "sub", "meeting 12:30.txt")))
	if r := e.do("DELETE", "/alpha/docs/p/", nil, ""); r.code != 204 || exists(filepath.Join(e.docs, "p")) {
		t.Errorf("DELETE of the cleaned folder = %d", r.code)
	}
}
