package cli

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// readmeCommands returns every `peerhood ...` command the README shows
// in its code blocks (after ; && or | too), cut at comments and
// redirections, with [optional] brackets opened.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(l, "    ") {
			continue
		}
		l, _, _ = strings.Cut(l, " #")
		for _, part := range regexp.MustCompile(`;|&&|\|`).Split(l, -1) {
			part = strings.TrimSpace(part)
			if !strings.HasPrefix(part, "peerhood ") {
				continue
			}
			part, _, _ = strings.Cut(part, ">")
			part = strings.NewReplacer("[", "", "]", "").Replace(part)
			out = append(out, strings.TrimSpace(part))
		}
	}
	return out
}

// TestReadmeCommandsExist: every command the README shows exists, and
// every flag it gives that command is one the command takes (the tour
// itself is run by test/e2e's TestReadmeTour).
func TestReadmeCommandsExist(t *testing.T) {
	root := NewApp(io.Discard, io.Discard).Root(func(*App) *cobra.Command {
		c := &cobra.Command{Use: "up", RunE: func(*cobra.Command, []string) error { return nil }}
		// cli/up's flags, which this package cannot import.
		for _, f := range []string{"name", "listen", "no-mdns", "max-member-conns"} {
			c.Flags().String(f, "", "")
		}
		return c
	})
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	cmds := readmeCommands(t)
	if len(cmds) < 40 {
		t.Fatalf("found only %d commands in README.md", len(cmds))
	}
	for _, line := range cmds {
		words := strings.Fields(line)[1:]
		c, rest, err := root.Find(words)
		if err != nil || c == root {
			t.Errorf("README: %q: no such command (%v)", line, err)
			continue
		}
		for _, w := range rest {
			if !strings.HasPrefix(w, "-") || w == "-" {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimLeft(w, "-"), "=")
			var ok bool
			if strings.HasPrefix(w, "--") {
				ok = c.Flags().Lookup(name) != nil || c.InheritedFlags().Lookup(name) != nil
			} else {
				ok = c.Flags().ShorthandLookup(name[:1]) != nil || c.InheritedFlags().ShorthandLookup(name[:1]) != nil
			}
			if !ok {
				t.Errorf("README: %q: %s takes no flag %s", line, c.CommandPath(), w)
			}
		}
	}
}
