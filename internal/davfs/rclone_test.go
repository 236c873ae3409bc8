package davfs

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRclone drives Debian's rclone (a second real client, strict about
// PROPFIND replies): copy, lsf, cat, mkdir, moveto, check --download,
// purge, and a refused write into a read-only share.
func TestRclone(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("rclone"); err != nil {
		t.Skip("rclone is not installed (apt-get install rclone; scripts/test.sh installs it when run as root)")
	}
	e := newEnv(t)
	s, err := Listen("127.0.0.1:0", e.backend, testToken, nil)
	must(t, err)
	defer s.Close()
	run := rcloneRunner(t, s.URL())
	mustRun := func(args ...string) string {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatalf("rclone %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	local := t.TempDir()
	write(t, filepath.Join(local, "r.txt"), "via rclone")
	tree := filepath.Join(local, "tree")
	must(t, os.MkdirAll(filepath.Join(tree, "a", "b"), 0o755))
	for i := 0; i < 5; i++ {
		write(t, filepath.Join(tree, "a", fmt.Sprintf("f%d.txt", i)), strings.Repeat("z", i*1000))
	}
	write(t, filepath.Join(tree, "a", "b", "deep.bin"), strings.Repeat("\x00\x01", 70000))

	if out := mustRun("lsf", "ph:"); !strings.Contains(out, "alpha/") {
		t.Fatalf("lsf ph: = %q", out)
	}
	if out := mustRun("lsf", "ph:alpha"); !strings.Contains(out, "docs/") || !strings.Contains(out, "ro/") {
		t.Fatalf("lsf ph:alpha = %q", out)
	}
	mustRun("copyto", filepath.Join(local, "r.txt"), "ph:alpha/docs/r.txt")
	if got := read(t, filepath.Join(e.docs, "r.txt")); got != "via rclone" {
		t.Fatalf("copyto landed %q", got)
	}
	if out := mustRun("cat", "ph:alpha/docs/r.txt"); out != "via rclone" {
		t.Fatalf("cat = %q", out)
	}
	out := mustRun("lsf", "ph:alpha/docs")
	for _, want := range []string{"r.txt", "hello.txt", "dir/"} {
		if !strings.Contains(out, want) {
			t.Errorf("lsf lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secretlink") || strings.Contains(out, "escape") {
		t.Errorf("lsf shows links leaving the share:\n%s", out)
	}
	mustRun("mkdir", "ph:alpha/docs/rdir")
	mustRun("moveto", "ph:alpha/docs/r.txt", "ph:alpha/docs/rdir/r2.txt")
	if exists(filepath.Join(e.docs, "r.txt")) || read(t, filepath.Join(e.docs, "rdir", "r2.txt")) != "via rclone" {
		t.Fatal("moveto did not move")
	}
	mustRun("copy", tree, "ph:alpha/docs/tree")
	mustRun("check", "--download", tree, "ph:alpha/docs/tree")
	mustRun("purge", "ph:alpha/docs/tree")
	if exists(filepath.Join(e.docs, "tree")) {
		t.Fatal("purge left the tree")
	}
	if out, err := run("copyto", filepath.Join(local, "r.txt"), "ph:alpha/ro/r.txt"); err == nil || exists(filepath.Join(e.ro, "r.txt")) {
		t.Fatalf("write into a read-only share succeeded:\n%s", out)
	}
}

// rcloneRunner returns a function that runs rclone with remote "ph:" set
// to the WebDAV server at url (the token as password), and returns its
// output.
func rcloneRunner(t *testing.T, url string) func(args ...string) (string, error) {
	t.Helper()
	return rcloneVendorRunner(t, url, "other")
}

// rcloneVendorRunner is rcloneRunner with --webdav-vendor vendor.
func rcloneVendorRunner(t *testing.T, url, vendor string) func(args ...string) (string, error) {
	t.Helper()
	obscured, err := exec.Command("rclone", "obscure", testToken).Output()
	must(t, err)
	env := append(os.Environ(),
		"RCLONE_CONFIG=/dev/null",
		"RCLONE_CONFIG_PH_TYPE=webdav",
		"RCLONE_CONFIG_PH_URL="+url,
		"RCLONE_CONFIG_PH_VENDOR="+vendor,
		"RCLONE_CONFIG_PH_USER="+User,
		"RCLONE_CONFIG_PH_PASS="+strings.TrimSpace(string(obscured)),
	)
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "rclone", append([]string{"--retries", "1", "--low-level-retries", "1"}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	return run
}

// TestRcloneKeepsModTime: with --webdav-vendor owncloud (what mount-info
// suggests) rclone sends X-OC-Mtime with each upload; the file keeps the
// original's modification time, on this node's share and another's, so
// a second copy finds nothing to transfer.
func TestRcloneKeepsModTime(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("rclone"); err != nil {
		t.Skip("rclone is not installed (apt-get install rclone; scripts/test.sh installs it when run as root)")
	}
	n := newTwoNodes(t)
	local := t.TempDir()
	old := time.Date(2017, 7, 14, 2, 40, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		p := filepath.Join(local, fmt.Sprintf("f%d.txt", i))
		write(t, p, strings.Repeat("m", i*100))
		must(t, os.Chtimes(p, old, old.Add(time.Duration(i)*time.Hour)))
	}
	run := rcloneVendorRunner(t, n.e.srv.URL, "owncloud")
	for _, sh := range []struct{ remote, dir string }{{"ph:me/mine/kept", n.mine}, {"ph:srv/docs/kept", n.docs}} {
		if out, err := run("copy", local, sh.remote); err != nil {
			t.Fatalf("rclone copy to %s: %v\n%s", sh.remote, err, out)
		}
		for i := 0; i < 3; i++ {
			fi, err := os.Stat(filepath.Join(sh.dir, "kept", fmt.Sprintf("f%d.txt", i)))
			must(t, err)
			if want := old.Add(time.Duration(i) * time.Hour); !fi.ModTime().Equal(want) {
				t.Errorf("%s f%d.txt: modified %v, want %v", sh.remote, i, fi.ModTime().UTC(), want)
			}
		}
		out, err := run("copy", "-v", local, sh.remote)
		if err != nil || !strings.Contains(out, "There was nothing to transfer") {
			t.Errorf("second rclone copy to %s transferred again (%v):\n%s", sh.remote, err, out)
		}
	}
}
