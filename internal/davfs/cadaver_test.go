package davfs

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runCadaver runs Debian's cadaver against url with the script on stdin
// and credentials in a throw-away ~/.netrc.
func runCadaver(t *testing.T, url, script string) string {
	t.Helper()
	home := t.TempDir()
	must(t, os.WriteFile(filepath.Join(home, ".netrc"), []byte("machine 127.0.0.1\nlogin "+User+"\npassword "+testToken+"\n"), 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "cadaver", "-t", url)
	cmd.Env = append(os.Environ(), "HOME="+home)
	cmd.Dir = home
	cmd.Stdin = strings.NewReader(script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cadaver: %v\n%s", err, out)
	}
	return string(out)
}

// TestCadaver drives a real WebDAV client: ls, put, get, mkdir, move,
// copy, delete, rmcol, and a refused write on a read-only share.
func TestCadaver(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("cadaver"); err != nil {
		t.Skip("cadaver is not installed (apt-get install cadaver; scripts/test.sh installs it when run as root)")
	}
	e := newEnv(t)
	s, err := Listen("127.0.0.1:0", e.backend, testToken, nil)
	must(t, err)
	defer s.Close()
	local := t.TempDir()
	src := filepath.Join(local, "upload.txt")
	write(t, src, "uploaded by cadaver\n")
	got := filepath.Join(local, "downloaded.txt")

	out := runCadaver(t, s.URL()+"alpha/docs/", strings.Join([]string{
		"ls",
		"put " + src + " up.txt",
		"get up.txt " + got,
		"mkdir made",
		"move up.txt made/moved.txt",
		"copy made/moved.txt copy.txt",
		"ls made",
		"quit",
	}, "\n")+"\n")
	t.Logf("cadaver:\n%s", out)
	for _, want := range []string{"hello.txt", "dir", "moved.txt"} {
		if !strings.Contains(out, want) {
			t.Errorf("cadaver output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secretlink") || strings.Contains(out, "escape") {
		t.Errorf("listing shows links that leave the share:\n%s", out)
	}
	if read(t, got) != "uploaded by cadaver\n" {
		t.Errorf("get gave %q", read(t, got))
	}
	if read(t, filepath.Join(e.docs, "made", "moved.txt")) != "uploaded by cadaver\n" || exists(filepath.Join(e.docs, "up.txt")) {
		t.Errorf("move did not land:\n%s", out)
	}
	if read(t, filepath.Join(e.docs, "copy.txt")) != "uploaded by cadaver\n" {
		t.Errorf("copy did not land:\n%s", out)
	}

	out = runCadaver(t, s.URL()+"alpha/docs/", "delete copy.txt\ndelete made/moved.txt\nrmcol made\nls\nquit\n")
	if exists(filepath.Join(e.docs, "copy.txt")) || exists(filepath.Join(e.docs, "made")) {
		t.Errorf("delete/rmcol did not remove:\n%s", out)
	}

	out = runCadaver(t, s.URL()+"alpha/ro/", "put "+src+" nope.txt\nls\nquit\n")
	if !strings.Contains(out, "403") || exists(filepath.Join(e.ro, "nope.txt")) {
		t.Errorf("put on a read-only share was not refused with 403:\n%s", out)
	}
	if !strings.Contains(out, "readme.txt") {
		t.Errorf("read-only share not listed:\n%s", out)
	}

	// The root lists nodes, a node lists shares.
	out = runCadaver(t, s.URL(), "ls\ncd alpha\nls\nquit\n")
	if !strings.Contains(out, "alpha") || !strings.Contains(out, "docs") || !strings.Contains(out, "ro") {
		t.Errorf("namespace listing:\n%s", out)
	}
}
