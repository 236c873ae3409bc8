package davfs

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// litmusSuites are the suites litmus runs (its default set); each must
// report its summary with 0 failed.
var litmusSuites = []string{"basic", "copymove", "props", "locks", "http"}

// TestLitmus runs Debian's litmus, the WebDAV server conformance suite,
// against the gateway of node "me" (newTwoNodes): on its own share "mine"
// (served from its disk) and on node srv's share "docs" (reached over the
// files protocol). Every test of the five suites must pass.
func TestLitmus(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("litmus"); err != nil {
		t.Skip("litmus is not installed (apt-get install litmus; scripts/test.sh installs it when run as root)")
	}
	n := newTwoNodes(t)
	for _, tc := range []struct{ name, path string }{
		{"local", "/me/mine/"},
		{"remote", "/srv/docs/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := runLitmus(t, n.e.srv.URL+tc.path)
			for _, w := range litmusWarnings(out) {
				t.Logf("litmus %s", w)
			}
			if problems := litmusProblems(out); len(problems) > 0 {
				t.Errorf("litmus against %s:\n  %s\n--- litmus output:\n%s",
					tc.path, strings.Join(problems, "\n  "), strings.Join(litmusLines(out), "\n"))
			}
		})
	}
}

// runLitmus runs litmus against url, all suites even when one fails (-k),
// in a temporary working folder (it writes debug.log and child.log
// there), and returns its output. A non-zero exit (a failed test) is left
// to litmusProblems; a timeout or a litmus that does not start is fatal.
func runLitmus(t *testing.T, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "litmus", "-k", url, User, testToken)
	cmd.Env = append(os.Environ(), "TESTS="+strings.Join(litmusSuites, " "))
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("litmus %s: %v\n%s", url, ctx.Err(), out)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("litmus %s: %v\n%s", url, err, out)
	}
	return string(out)
}

var (
	// A test's line: "\r 7. propget............... \r 7. propget............... FAIL (...)":
	// litmus prints the name, runs the test, then prints it again after a
	// carriage return with the result: "pass", "pass (with 1 warning)",
	// "FAIL (...)", "SKIPPED", ... A warning takes a line of its own,
	// "WARNING: ..." in the result's place, before the result's line.
	litmusTestLine = regexp.MustCompile(`^\s*(\d+)\. (\S+?)\.* (.*)$`)
	// A suite's summary: "<- summary for `basic': of 16 tests run: 16 passed, 0 failed. 100.0%".
	litmusSummary = regexp.MustCompile("^<- summary for `([a-z0-9_]+)': of (\\d+) tests run: (\\d+) passed, (\\d+) failed")
)

// litmusLines splits out into what each line finally shows: the part of
// the line after its last carriage return. A suite's start begins a line
// even when the suite before it died in the middle of one.
func litmusLines(out string) []string {
	lines := strings.Split(strings.ReplaceAll(out, "-> running `", "\n-> running `"), "\n")
	for i, l := range lines {
		l = strings.TrimRight(l, "\r")
		lines[i] = l[strings.LastIndexByte(l, '\r')+1:]
	}
	return lines
}

// litmusProblems names every test of out that did not pass, and every
// suite of litmusSuites whose summary is missing or counts a failure.
func litmusProblems(out string) []string {
	var problems []string
	seen := map[string]bool{}
	suite := "?"
	for _, line := range litmusLines(out) {
		if s, ok := strings.CutPrefix(line, "-> running `"); ok {
			suite = strings.TrimSuffix(s, "':")
			continue
		}
		if m := litmusSummary.FindStringSubmatch(line); m != nil {
			seen[m[1]] = true
			if m[4] != "0" || m[2] != m[3] {
				problems = append(problems, "suite "+m[1]+": of "+m[2]+" run, "+m[3]+" passed, "+m[4]+" failed")
			}
			continue
		}
		m := litmusTestLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		result := strings.TrimSpace(m[3])
		switch {
		case result == "pass", strings.HasPrefix(result, "pass (with "), strings.HasPrefix(result, "WARNING:"):
		case result == "":
			problems = append(problems, suite+" "+m[1]+". "+m[2]+": no result (litmus stopped in it)")
		default:
			problems = append(problems, suite+" "+m[1]+". "+m[2]+": "+result)
		}
	}
	for _, s := range litmusSuites {
		if !seen[s] {
			problems = append(problems, "suite "+s+": no summary (litmus stopped early?)")
		}
	}
	return problems
}

// litmusWarnings returns litmus' warnings, each with its suite and test.
func litmusWarnings(out string) []string {
	var ws []string
	suite := "?"
	for _, line := range litmusLines(out) {
		if s, ok := strings.CutPrefix(line, "-> running `"); ok {
			suite = strings.TrimSuffix(s, "':")
			continue
		}
		if i := strings.Index(line, "WARNING:"); i >= 0 {
			ws = append(ws, suite+" "+strings.Join(strings.Fields(line), " "))
		}
	}
	return ws
}
