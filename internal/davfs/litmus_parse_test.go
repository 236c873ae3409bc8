package davfs

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// litmusOutput builds litmus' output for the five suites, each with one
// passing test, with body's lines put in suite "props" before its summary
// (summary, when given, replaces props' summary line, "-" leaves it out;
// drop leaves a suite out).
func litmusOutput(body []string, summary, drop string) string {
	var b strings.Builder
	for _, s := range litmusSuites {
		if s == drop {
			continue
		}
		fmt.Fprintf(&b, "-> running `%s':\n\r 0. init.................. \r 0. init.................. pass\n", s)
		sum := fmt.Sprintf("<- summary for `%s': of 1 tests run: 1 passed, 0 failed. 100.0%%", s)
		if s == "props" {
			b.WriteString(strings.Join(body, ""))
			if summary != "" {
				sum = summary
			}
		}
		if sum != "-" {
			b.WriteString(sum + "\n")
		}
	}
	return b.String()
}

// TestLitmusProblems: the parser of litmus' output names every test that
// did not pass and every suite without a clean summary, and takes
// warnings and passes with warnings as passes.
func TestLitmusProblems(t *testing.T) {
	t.Parallel()
	const propsOK = "<- summary for `props': of 2 tests run: 2 passed, 0 failed. 100.0%"
	tests := []struct {
		name     string
		out      string
		problems []string
		warnings []string
	}{
		{name: "all pass", out: litmusOutput(nil, "", "")},
		{name: "a warning", out: litmusOutput([]string{
			"\r 1. propset............... WARNING: odd answer\n",
			"\r 1. propset............... pass (with 1 warning)\n",
		}, propsOK+" (1 warning)", ""), warnings: []string{"props 1. propset............... WARNING: odd answer"}},
		{name: "a failure", out: litmusOutput([]string{
			"\r 1. propset............... \r 1. propset............... FAIL (PROPPATCH on `/x': 500 Internal Server Error)\n",
			"\r 2. propget............... \r 2. propget............... SKIPPED\n",
		}, "<- summary for `props': of 2 tests run: 1 passed, 1 failed. 50.0%", ""), problems: []string{
			"props 1. propset: FAIL (PROPPATCH on `/x': 500 Internal Server Error)",
			"props 2. propget: SKIPPED",
			"suite props: of 2 run, 1 passed, 1 failed",
		}},
		{name: "stopped in a test", out: litmusOutput([]string{"\r10. propget............... "}, "-", ""), problems: []string{
			"props 10. propget: no result (litmus stopped in it)",
			"suite props: no summary (litmus stopped early?)",
		}},
		{name: "a suite missing", out: litmusOutput(nil, "", "locks"), problems: []string{"suite locks: no summary (litmus stopped early?)"}},
		{name: "nothing", out: "", problems: []string{
			"suite basic: no summary (litmus stopped early?)",
			"suite copymove: no summary (litmus stopped early?)",
			"suite props: no summary (litmus stopped early?)",
			"suite locks: no summary (litmus stopped early?)",
			"suite http: no summary (litmus stopped early?)",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := litmusProblems(tc.out); !reflect.DeepEqual(got, tc.problems) {
				t.Errorf("problems = %q, want %q\n%s", got, tc.problems, tc.out)
			}
			if got := litmusWarnings(tc.out); !reflect.DeepEqual(got, tc.warnings) {
				t.Errorf("warnings = %q, want %q", got, tc.warnings)
			}
		})
	}
}
