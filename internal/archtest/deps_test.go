package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// loadGraph runs `go list -json` over the whole module.
func loadGraph(t *testing.T) []Package {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to read the import graph: %v", err)
	}
	cmd := exec.Command(goBin, "list", "-json=ImportPath,Imports,Deps", Module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p Package
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// The tree keeps the house's rules (docs/architecture.md).
func TestDependencyRules(t *testing.T) {
	pkgs := loadGraph(t)
	var names []string
	for _, p := range pkgs {
		names = append(names, rel(p.ImportPath))
	}
	for _, want := range []string{"internal/api", "internal/cli", "internal/daemon", "internal/share", "internal/wire"} {
		if !slices.Contains(names, want) {
			t.Fatalf("go list did not list %s: %v", want, names)
		}
	}
	for _, b := range Check(pkgs) {
		t.Error(b)
	}
}

// Check finds each kind of broken rule (the graph of each case is the
// real shape with one import added).
func TestCheckFindsBrokenRules(t *testing.T) {
	m := func(ps ...string) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = Module + "/" + p
		}
		return out
	}
	pkg := func(path string, deps ...string) Package {
		return Package{ImportPath: Module + "/" + path, Imports: m(deps...), Deps: m(deps...)}
	}
	tests := []struct {
		name string
		pkg  Package
		want string // a piece of the complaint; "" for none
	}{
		{"a service imports the daemon", pkg("internal/share", "internal/daemon"), "a service imports internal/daemon"},
		{"a new service imports the CLI", pkg("internal/chat", "internal/cli"), "a service imports internal/cli"},
		{"a service imports the client", pkg("internal/spool", "internal/client"), "a service imports internal/client"},
		{"a service imports the framework", pkg("internal/spool", "internal/api", "internal/apitypes", "internal/wire"), ""},
		{"the CLI imports a service", pkg("internal/cli", "internal/client", "internal/share"), "the CLI imports internal/share"},
		{"the CLI imports the daemon", pkg("internal/cli", "internal/daemon"), "the CLI imports internal/daemon"},
		{"the CLI imports p2p through a sub-package", pkg("internal/cli/watch", "internal/p2p"), "the CLI imports internal/p2p"},
		{"cli/up imports the daemon", pkg("internal/cli/up", "internal/cli", "internal/daemon"), ""},
		{"cli/up imports a service", pkg("internal/cli/up", "internal/cli", "internal/share"), "cli/up imports internal/share"},
		{"the framework imports a service", pkg("internal/api", "internal/share"), "the API framework imports internal/share"},
		{"wire imports store", pkg("internal/wire", "internal/store"), ""},
		{"store imports p2p", pkg("internal/store", "internal/p2p"), "the bottom floor imports internal/p2p"},
		{"p2p imports a service", pkg("internal/p2p", "internal/workgroup"), "p2p imports internal/workgroup"},
		{"bgwork imports the standard library", Package{ImportPath: Module + "/internal/bgwork", Imports: []string{"sync"}, Deps: []string{"internal/race", "sync"}}, ""},
		{"bgwork imports wire", pkg("internal/bgwork", "internal/wire"), "internal/bgwork: imports " + Module + "/internal/wire (the standard library only)"},
		{"bgwork imports an outside module", Package{ImportPath: Module + "/internal/bgwork", Imports: []string{"golang.org/x/sync/errgroup"}, Deps: []string{"golang.org/x/sync/errgroup"}}, "imports golang.org/x/sync/errgroup (the standard library only)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(Check([]Package{tc.pkg}), "\n")
			if tc.want == "" && got != "" {
				t.Fatalf("complaint about an allowed graph: %s", got)
			}
			if !strings.Contains(got, tc.want) {
				t.Fatalf("got %q, want a complaint with %q", got, tc.want)
			}
		})
	}
}
