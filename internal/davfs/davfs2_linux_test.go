//go:build linux

package davfs

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestDavfs2Mount mounts the namespace with Debian's davfs2 (a real OS
// mount through FUSE) and uses it as plain files: list, read, write,
// mkdir, rename, remove. It needs root, /dev/fuse and mount.davfs, and
// skips otherwise.
func TestDavfs2Mount(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	if _, err := exec.LookPath("mount.davfs"); err != nil {
		t.Skip("davfs2 is not installed (apt-get install davfs2)")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("no /dev/fuse")
	}
	e := newEnv(t)
	s, err := Listen("127.0.0.1:0", e.backend, testToken, nil)
	must(t, err)
	defer s.Close()

	mnt, conf := davfs2Conf(t, s.URL())

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "mount.davfs", s.URL(), mnt, "-o", "conf="+conf+",uid=0,gid=0").CombinedOutput()
	if err != nil {
		t.Skipf("mount.davfs failed (no FUSE in this container?): %v\n%s", err, out)
	}
	unmounted := false
	unmount := func() {
		if unmounted {
			return
		}
		unmounted = true
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount: %v\n%s", err, out)
			_ = exec.Command("umount", "-l", mnt).Run()
		}
	}
	defer unmount()

	if got := mountNames(t, mnt); strings.Join(got, ",") != "alpha" {
		t.Fatalf("mount root lists %v", got)
	}
	if got := strings.Join(mountNames(t, filepath.Join(mnt, "alpha")), ","); got != "docs,more,ro" {
		t.Fatalf("node lists %s", got)
	}
	docs := filepath.Join(mnt, "alpha", "docs")
	if got := read(t, filepath.Join(docs, "hello.txt")); got != "hello, world\n" {
		t.Fatalf("read %q", got)
	}
	listed := strings.Join(mountNames(t, docs), ",")
	if strings.Contains(listed, "secretlink") || strings.Contains(listed, "escape") || !strings.Contains(listed, "dir") {
		t.Fatalf("share lists %s", listed)
	}
	write(t, filepath.Join(docs, "mounted.txt"), "written through the mount")
	must(t, os.Mkdir(filepath.Join(docs, "mdir"), 0o755))
	must(t, os.Rename(filepath.Join(docs, "mounted.txt"), filepath.Join(docs, "mdir", "moved.txt")))
	must(t, os.Remove(filepath.Join(docs, "dir", "a.txt")))
	if err := os.WriteFile(filepath.Join(mnt, "alpha", "ro", "x.txt"), []byte("x"), 0o644); err == nil {
		// davfs2 may accept into its cache and fail the upload later:
		// what counts is that the share is not written.
		t.Log("davfs2 accepted a write into a read-only share locally")
	}
	unmount() // flushes davfs2's cache
	if got := read(t, filepath.Join(e.docs, "mdir", "moved.txt")); got != "written through the mount" {
		t.Fatalf("share holds %q", got)
	}
	if exists(filepath.Join(e.docs, "dir", "a.txt")) {
		t.Fatal("remove through the mount did not reach the share")
	}
	if exists(filepath.Join(e.ro, "x.txt")) {
		t.Fatal("a read-only share was written through the mount")
	}
}

// davfs2Conf writes a davfs2 configuration (cache, secrets with the
// token for url) in a fresh folder readable by mount.davfs' own user,
// and returns the mount point made in it and the configuration's path.
func davfs2Conf(t *testing.T, url string) (mnt, conf string) {
	t.Helper()
	work := t.TempDir()
	mnt = filepath.Join(work, "mnt")
	must(t, os.Mkdir(mnt, 0o755))
	// mount.davfs drops to its own user: it must reach its cache.
	must(t, os.Chmod(filepath.Dir(work), 0o755))
	must(t, os.Chmod(work, 0o755))
	must(t, os.Mkdir(filepath.Join(work, "cache"), 0o777))
	must(t, os.Chmod(filepath.Join(work, "cache"), 0o777))
	secrets := filepath.Join(work, "secrets")
	must(t, os.WriteFile(secrets, []byte(url+" "+User+" "+testToken+"\n"), 0o600))
	conf = filepath.Join(work, "davfs2.conf")
	must(t, os.WriteFile(conf, []byte(strings.Join([]string{
		"secrets " + secrets,
		"cache_dir " + filepath.Join(work, "cache"),
		"delay_upload 0",
		"use_locks 1",
		"ask_auth 0",
		"",
	}, "\n")), 0o644))
	return mnt, conf
}

// mountNames lists dir's names, sorted, without lost+found.
func mountNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	must(t, err)
	var out []string
	for _, e := range ents {
		if e.Name() != "lost+found" {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}
