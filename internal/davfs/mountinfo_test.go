package davfs

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMountInfo(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	tok, err := LoadOrCreateToken(home)
	must(t, err)
	file := filepath.Join(home, TokenFile)
	m := NewMountInfo("http://127.0.0.1:4318/", tok)
	if m.URL != "http://127.0.0.1:4318/" || m.User != User || m.Password != tok || m.TokenFile != file {
		t.Fatalf("%+v", m)
	}
	want := map[string][]string{
		"davfs2":        {"mount -t davfs 'http://127.0.0.1:4318/'", "/etc/davfs2/secrets", "$(cat '" + file + "')"},
		"rclone":        {"--webdav-url='http://127.0.0.1:4318/'", "--webdav-vendor=owncloud", "--webdav-user=peerhood", "rclone obscure - < '" + file + "'"},
		"cadaver":       {"'127.0.0.1'", "$(cat '" + file + "')", "cadaver 'http://127.0.0.1:4318/'"},
		"windows":       {`net use P: \\127.0.0.1@4318\DavWWWRoot /user:peerhood * /persistent:no`},
		"windows_setup": {"BasicAuthLevel /t REG_DWORD /d 2", "net start webclient"},
		"macos":         {"Connect to Server", "http://127.0.0.1:4318/", file},
	}
	for k, subs := range want {
		for _, s := range subs {
			if !strings.Contains(m.Examples[k], s) {
				t.Errorf("example %s lacks %q: %s", k, s, m.Examples[k])
			}
		}
	}
}

// TestMountCommandsKeepTokenOutOfArgv: no printed command holds the
// token (so no process started from it has it in its arguments, which
// every local user can read in /proc), and the rclone one works as
// printed against a real server.
func TestMountCommandsKeepTokenOutOfArgv(t *testing.T) {
	home := t.TempDir()
	tok, err := LoadOrCreateToken(home)
	must(t, err)
	e := newEnv(t)
	s, err := Listen("127.0.0.1:0", e.backend, tok, nil)
	must(t, err)
	defer s.Close()
	m := NewMountInfo(s.URL(), tok)
	for k, cmd := range m.Examples {
		if strings.Contains(cmd, tok) {
			t.Errorf("example %s holds the token: %s", k, cmd)
		}
	}
	if _, err := exec.LookPath("rclone"); err != nil {
		t.Skip("rclone is not installed: the printed command cannot be run")
	}
	// The printed command, listing instead of mounting.
	cmd := strings.Replace(m.Examples["rclone"], "rclone mount :webdav: ~/peerhood", "rclone lsf :webdav:", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", "-c", cmd)
	c.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "RCLONE_CONFIG=/dev/null"}
	out, err := c.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "alpha/") {
		t.Fatalf("the printed rclone command: %v\n%s\n%s", err, cmd, out)
	}
}
