package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The CLI spells no endpoint path: every call goes through the typed
// client (internal/client), the one place outside the routes that does.
func TestCLISpellsNoPath(t *testing.T) {
	var files []string
	err := filepath.WalkDir("../cli", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			files = append(files, p)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("no CLI sources: %v", err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		for _, lit := range pathLiterals(t, fset, f) {
			t.Errorf("%s: endpoint path %s in the CLI: add a method to internal/client", fset.Position(lit.Pos()), lit.Value)
		}
	}
	// The check sees a path when there is one.
	src := "package cli\nvar p = \"/v1/status\"\n"
	tmp := filepath.Join(t.TempDir(), "x.go")
	if err := os.WriteFile(tmp, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := pathLiterals(t, fset, tmp); len(got) != 1 {
		t.Fatalf("the check missed a path: %d", len(got))
	}
}

// pathLiterals returns the string literals of file that start with /v1/.
func pathLiterals(t *testing.T, fset *token.FileSet, file string) []*ast.BasicLit {
	t.Helper()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []*ast.BasicLit
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil && strings.Contains(s, "/v1/") && !strings.Contains(s, " ") {
				out = append(out, lit)
			}
		}
		return true
	})
	return out
}
