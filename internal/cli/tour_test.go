package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// runCLI runs one peerhood command against node nd, as a user would.
func runCLI(nd *testnet.Node, stdin string, args ...string) (string, error) {
	var out, errw bytes.Buffer
	app := NewApp(&out, &errw)
	app.In = strings.NewReader(stdin)
	root := app.Root()
	root.SetArgs(append([]string{"--home", nd.Home}, args...))
	ctx, cancel := context.WithTimeout(context.Background(), testnet.Converge)
	defer cancel()
	err := root.ExecuteContext(ctx)
	return out.String() + errw.String(), err
}

// The everyday commands of the tour, through the CLI against two whole
// nodes in this process: bravo joined as "laptop" (join --name) and
// writes into alpha's share docs. Each step checks what the user sees:
// the destination and overwrite rules of get and put, one name per node,
// and messages that name the file or member and say what to do.
func TestCLITour(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo")
	alpha, bravo := net.Node("alpha"), net.Node("bravo")
	docs := tourJoin(t, net, alpha, bravo)
	notes := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notes, []byte("v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	tourFiles(t, bravo, docs, notes)
	tourOffline(t, alpha, bravo, notes)
}

// tourJoin: bravo joins alpha's workgroup office as "laptop" (after a cut
// token is refused), and alpha shares docs (returned) with it.
func tourJoin(t *testing.T, net *testnet.Net, alpha, bravo *testnet.Node) string {
	t.Helper()
	alpha.Must(http.MethodPost, "/v1/workgroups", map[string]string{"name": "office"}, nil)
	var inv struct {
		Token string `json:"token"`
	}
	alpha.Must(http.MethodPost, "/v1/invites", map[string]any{"workgroup": "office"}, &inv)
	if out, err := runCLI(bravo, inv.Token[:len(inv.Token)-9], "join", "-", "--name", "laptop"); err == nil || !strings.Contains(err.Error(), "this invite token is incomplete (copy all of it)") {
		t.Fatalf("join with a cut token: %v\n%s", err, out)
	}
	if out, err := runCLI(bravo, inv.Token, "join", "-", "--name", "laptop"); err != nil {
		t.Fatalf("join: %v\n%s", err, out)
	}
	net.WaitMembers("office")
	docs := t.TempDir()
	alpha.Must(http.MethodPost, "/v1/shares", map[string]any{"name": "docs", "path": docs, "allow": []string{"laptop=rw"}}, nil)
	testutil.Eventually(t, testnet.Converge, func() error {
		_, err := runCLI(bravo, "", "ls", "alpha:docs")
		return err
	})
	return docs
}

// tourFiles: put, get, ls, rm and mv from bravo into alpha's docs (notes
// holds "v1").
func tourFiles(t *testing.T, bravo *testnet.Node, docs, notes string) {
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	// Folders for get -r / put -r: tree (a.txt, sub/b.txt), and another
	// folder named tree holding only a file docs/tree lacks.
	tree, tree2 := filepath.Join(t.TempDir(), "tree"), filepath.Join(t.TempDir(), "tree")
	for _, f := range []string{filepath.Join(tree, "a.txt"), filepath.Join(tree, "sub", "b.txt"), filepath.Join(tree2, "sub", "only.txt")} {
		must(os.MkdirAll(filepath.Dir(f), 0o755))
		must(os.WriteFile(f, []byte("v1"), 0o644))
	}
	for _, tc := range []struct {
		name   string
		args   []string
		before func()
		fail   string   // in the error ("" for success)
		not    string   // never in the error
		files  []string // then hold "v1" (paths relative to docs, or absolute)
		absent []string // then do not exist (same)
		v2     string   // then holds "v2"
	}{
		{name: "put into a new folder", args: []string{"put", notes, "alpha:docs/inbox/"}, files: []string{"inbox/notes.txt"}},
		{name: "put no clobber", args: []string{"put", "--no-clobber", notes, "alpha:docs/inbox/"}, fail: "docs/inbox/notes.txt exists", not: "permission denied"},
		{name: "put replaces", args: []string{"put", notes, "alpha:docs/inbox/notes.txt"}, before: func() { must(os.WriteFile(notes, []byte("v2"), 0o644)) }, v2: filepath.Join(docs, "inbox", "notes.txt")},
		{name: "put onto a file as a folder", args: []string{"put", notes, "alpha:docs/inbox/notes.txt/"}, fail: "is a file, not a folder"},
		{name: "get into a new folder", args: []string{"get", "alpha:docs/inbox/notes.txt", filepath.Join(out, "new") + "/"}, v2: filepath.Join(out, "new", "notes.txt")},
		{name: "get no clobber", args: []string{"get", "-n", "alpha:docs/inbox/notes.txt", filepath.Join(out, "new") + "/"}, fail: "notes.txt exists", not: "permission denied"},
		{name: "put -r a folder", args: []string{"put", "-r", tree, "alpha:docs/"}, files: []string{"tree/a.txt", "tree/sub/b.txt"}},
		{name: "put -r -n checks every file", args: []string{"put", "-r", "-n", tree, "alpha:docs/"},
			before: func() { must(os.WriteFile(filepath.Join(tree, "sub", "new.txt"), []byte("v1"), 0o644)) },
			fail:   "2 files already exist (alpha:docs/tree/a.txt, alpha:docs/tree/sub/b.txt)", absent: []string{"tree/sub/new.txt"}},
		{name: "put -r -n into an existing folder, nothing replaced", args: []string{"put", "-r", "-n", tree2, "alpha:docs/"}, files: []string{"tree/sub/only.txt", "tree/a.txt"}},
		{name: "get -r -n into a new folder", args: []string{"get", "-r", "-n", "alpha:docs/tree", filepath.Join(out, "t") + "/"}, files: []string{filepath.Join(out, "t", "tree", "sub", "only.txt")}},
		{name: "get -r -n checks every file", args: []string{"get", "-r", "-n", "alpha:docs/tree", filepath.Join(out, "t") + "/"},
			before: func() { must(os.WriteFile(filepath.Join(docs, "tree", "late.txt"), []byte("v1"), 0o644)) },
			fail:   "3 files already exist (" + filepath.Join(out, "t", "tree", "a.txt"), absent: []string{filepath.Join(out, "t", "tree", "late.txt")}},
		{name: "no such file", args: []string{"ls", "alpha:docs/nope.txt"}, fail: "no such file or folder: docs/nope.txt", not: "statat"},
		{name: "folder not empty", args: []string{"rm", "alpha:docs/inbox"}, fail: "rm -r alpha:docs/inbox", not: "removeat"},
		{name: "mv into a new folder", args: []string{"mv", "alpha:docs/inbox/notes.txt", "alpha:docs/done/"}, v2: filepath.Join(docs, "done", "notes.txt")},
		{name: "own name", args: []string{"ls", "laptop:"}},
		{name: "node name is not the member name", args: []string{"ls", "bravo:"}, fail: "laptop (this node)"},
		{name: "share name said once", args: []string{"share", "add", "my docs", docs}, fail: `share name "my docs": character ' ' not allowed`},
	} {
		if tc.before != nil {
			tc.before()
		}
		got, err := runCLI(bravo, "", tc.args...)
		switch {
		case tc.fail == "" && err != nil:
			t.Fatalf("%s: %v\n%s", tc.name, err, got)
		case tc.fail != "" && (err == nil || !strings.Contains(err.Error(), tc.fail)):
			t.Fatalf("%s: got %v, want an error saying %q\n%s", tc.name, err, tc.fail, got)
		case tc.not != "" && err != nil && strings.Contains(err.Error(), tc.not):
			t.Fatalf("%s: %v says %q", tc.name, err, tc.not)
		case tc.fail != "" && strings.Count(err.Error(), tc.fail) > 1:
			t.Fatalf("%s: %q said twice: %v", tc.name, tc.fail, err)
		}
		inDocs := func(f string) string {
			if filepath.IsAbs(f) {
				return f
			}
			return filepath.Join(docs, f)
		}
		for _, f := range tc.files {
			if b, err := os.ReadFile(inDocs(f)); err != nil || string(b) != "v1" {
				t.Fatalf("%s: %s = %q, %v", tc.name, f, b, err)
			}
		}
		for _, f := range tc.absent {
			if _, err := os.Stat(inDocs(f)); !os.IsNotExist(err) {
				t.Fatalf("%s: %s was written (%v)", tc.name, f, err)
			}
		}
		if tc.v2 != "" {
			if b, err := os.ReadFile(tc.v2); err != nil || string(b) != "v2" {
				t.Fatalf("%s: %s = %q, %v", tc.name, tc.v2, b, err)
			}
		}
	}
}

// tourOffline: alpha goes away; bravo is told at once who is offline,
// since when, and what to do.
func tourOffline(t *testing.T, alpha, bravo *testnet.Node, notes string) {
	testutil.Eventually(t, testnet.Converge, func() error {
		es, err := bravo.Browse("office")
		for _, e := range es {
			if e.Name == "alpha" && e.Presence == "online" {
				return nil
			}
		}
		return fmt.Errorf("bravo does not see alpha online: %+v %v", es, err)
	})
	alpha.Stop()
	for _, tc := range []struct {
		args []string
		say  string
	}{
		{[]string{"ls", "alpha:docs"}, "alpha is offline (last seen "},
		{[]string{"put", notes, "alpha:docs/inbox/"}, "queue it with: peerhood copy " + notes + " alpha:docs/inbox/"},
	} {
		start := time.Now()
		_, err := runCLI(bravo, "", tc.args...)
		took := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), tc.say) || strings.Contains(err.Error(), "dial") {
			t.Fatalf("%v with alpha offline: %v; want %q", tc.args, err, tc.say)
		}
		t.Logf("%v: %q in %s", tc.args, err, took.Round(time.Millisecond))
		if took > 10*time.Second {
			t.Fatalf("%v took %s to say alpha is offline", tc.args, took)
		}
	}
}
