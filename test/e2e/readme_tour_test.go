package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tourBlock returns the README's tour: the indented lines between
// <!-- tour:begin --> and <!-- tour:end -->, as a shell script.
func tourBlock(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "<!-- tour:begin -->")
	block, _, ok2 := strings.Cut(rest, "<!-- tour:end -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no <!-- tour:begin --> ... <!-- tour:end --> block")
	}
	var lines []string
	for _, l := range strings.Split(block, "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if !strings.HasPrefix(l, "    ") {
			t.Fatalf("README tour line is not in the code block (indent it by 4 spaces): %q", l)
		}
		lines = append(lines, strings.TrimPrefix(l, "    "))
	}
	return strings.Join(lines, "\n") + "\n"
}

// TestReadmeTour runs the README's tour as written, with bash, this
// build's peerhood first on PATH and a fresh HOME and TMPDIR: two real
// nodes in their own state folders form a workgroup, share, copy files
// and mail. Every line must succeed (bash -e), and a few outputs are
// checked, so the README cannot drift from the binary.
func TestReadmeTour(t *testing.T) {
	t.Parallel()
	script := tourBlock(t)
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-o", "pipefail", "-c", script)
	cmd.Dir = home
	cmd.Env = append(os.Environ(), "HOME="+home, "TMPDIR="+home, "PEERHOOD_HOME=",
		"PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// Its own process group: should the script fail half way, the nodes
	// it left in the background are killed with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if err != nil {
		logs, _ := filepath.Glob(filepath.Join(home, "*", "*.log"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			t.Logf("%s:\n%s", l, b)
		}
		t.Fatalf("the README tour failed: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"created workgroup office", "joined workgroup office", "in       office as bob",
		"* admin: may invite", `sharing `, "docs   rw", "queued ", "meeting", "ExecStart=" + bin + " up --home ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the tour's output lacks %q:\n%s", want, out.String())
		}
	}
	// peers and status name the member behind each connection.
	if !regexp.MustCompile(`(?m)^bob\s+12D3KooW\S+\s+direct`).MatchString(out.String()) {
		t.Errorf("alice's peers do not name bob:\n%s", out.String())
	}
	got, _ := filepath.Glob(filepath.Join(home, "*", "minutes.txt"))
	put, _ := filepath.Glob(filepath.Join(home, "*", "docs", "notes.txt"))
	if len(got) != 1 || len(put) != 1 {
		t.Errorf("get brought %v, put left %v in alice's share", got, put)
	}
}
