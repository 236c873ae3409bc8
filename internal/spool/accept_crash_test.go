//go:build linux

package spool

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Environment of the child process TestAcceptChild runs as.
const (
	envChildHome = "PEERHOOD_TEST_ACCEPT_HOME"
	envChildItem = "PEERHOOD_TEST_ACCEPT_ITEM"
	envChildDest = "PEERHOOD_TEST_ACCEPT_DEST"
	envChildStop = "PEERHOOD_TEST_ACCEPT_STOP" // write | record
	envChildCopy = "PEERHOOD_TEST_ACCEPT_COPY" // 1: links fail (another file system)
)

// blockingWriter stands for a node killed while writing: on its first
// write it tells the parent and never returns.
type blockingWriter struct{ f *os.File }

// block writes half of p (on disk when the kill comes), tells the parent
// and never returns.
func (b blockingWriter) block(p []byte, off int64) {
	if _, err := b.f.WriteAt(p[:len(p)/2], off); err == nil {
		_ = b.f.Sync()
	}
	fmt.Println("READY")
	select {}
}
func (b blockingWriter) Write(p []byte) (int, error) {
	off, _ := b.f.Seek(0, io.SeekCurrent)
	b.block(p, off)
	return 0, nil
}
func (b blockingWriter) WriteAt(p []byte, off int64) (int, error) {
	b.block(p, off)
	return 0, nil
}

// TestAcceptChild is the node process the crash tests kill: it opens the
// node home it is given, accepts one item and stops where it is told,
// printing READY for the parent to SIGKILL it. Skipped unless run so.
func TestAcceptChild(t *testing.T) {
	home := os.Getenv(envChildHome)
	if home == "" {
		t.Skip("run by TestAcceptKilled")
	}
	n := newTNode(t, "bob")
	n.home = home
	id, _, err := identity.LoadOrCreate(home)
	if err != nil {
		t.Fatal(err)
	}
	n.id = id
	n.dir = workgroup.NewStaticDirectory(id.PeerID)
	n.dir.Add(n.member())
	n.start()
	switch os.Getenv(envChildStop) {
	case "write":
		testHookPlaceWrite = func(_ string, f *os.File) fileWriter { return blockingWriter{f} }
	case "record":
		testHookBeforeAcceptRecord = func(string) { fmt.Println("READY"); select {} }
	}
	if os.Getenv(envChildCopy) == "1" {
		linkFile = func(string, *os.File, string) error { return &os.LinkError{Op: "link", Err: syscall.EXDEV} }
	}
	_, err = n.svc.Accept(context.Background(), os.Getenv(envChildItem), os.Getenv(envChildDest))
	t.Fatalf("accept returned (%v) where the test stops it", err)
}

// An accept SIGKILLed while writing, or after placing the files but
// before recording the item, never leaves a partial file under the real
// name; the node cleans the temporary file at start, and accepting again
// completes (the files already in place count as written).
func TestAcceptKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	cases := []struct {
		name   string
		staged bool   // a large file copy (staged) rather than a mail attachment (ciphertext)
		copy   bool   // links fail: the staged file is copied
		stop   string // where the process is killed
	}{
		{"mail attachment, killed while writing", false, false, "write"},
		{"staged copy across file systems, killed while copying", true, true, "write"},
		{"mail attachment, killed before recording", false, false, "record"},
		{"staged copy linked, killed before recording", true, false, "record"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			alice, bob := connectedPair(t)
			data := make([]byte, 3<<20)
			rand.Read(data)
			src := writeFile(t, t.TempDir(), "big.bin", data)
			req := SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s", Paths: []string{src}}
			if c.staged {
				req = SendRequest{To: []string{"bob"}, Kind: KindFile, Paths: []string{src}}
			}
			jobs, err := alice.svc.Send(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			waitState(t, alice, jobs[0].ID, StateDelivered)
			var staged string
			bob.db.QueryRow(`SELECT staged FROM spool_inbox WHERE handle=?`, jobs[0].ID).Scan(&staged)
			if (staged != "") != c.staged {
				t.Fatalf("staged %q, want staged=%v", staged, c.staged)
			}
			bob.stop()
			dest := filepath.Join(t.TempDir(), "in")
			killChild(t, bob.home, jobs[0].ID, dest, c.stop, c.copy)

			final := filepath.Join(dest, "big.bin")
			if c.stop == "write" {
				if _, err := os.Stat(final); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("killed mid-write, the real name exists (%v)", err)
				}
				if parts := tempFiles(dest); len(parts) != 1 {
					t.Fatalf("temporary files after the kill: %v", parts)
				}
			} else if got, _ := os.ReadFile(final); !bytes.Equal(got, data) {
				t.Fatal("killed before recording: the placed file is not complete")
			}
			bob.start()
			if parts := tempFiles(dest); len(parts) != 0 {
				t.Fatalf("temporary files left after restart: %v", parts)
			}
			res, err := bob.svc.Accept(context.Background(), jobs[0].ID, dest)
			if err != nil {
				t.Fatalf("accept again: %v", err)
			}
			if got, _ := os.ReadFile(final); !bytes.Equal(got, data) || len(res.Files) != 1 {
				t.Fatalf("accepted file differs (%d bytes, %v)", len(got), res.Files)
			}
			if it, _ := bob.svc.Item(context.Background(), jobs[0].ID, false); it.State != ItemAccepted {
				t.Fatalf("item is %s", it.State)
			}
		})
	}
}

// killChild runs TestAcceptChild on home and SIGKILLs it when it is
// where stop says.
func killChild(t *testing.T, home, id, dest, stop string, copy bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAcceptChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envChildHome+"="+home, envChildItem+"="+id, envChildDest+"="+dest, envChildStop+"="+stop,
		// The child is SIGKILLed before its own t.TempDir cleanup runs: its
		// temporary folders go under this test's, which is removed.
		"TMPDIR="+t.TempDir())
	if copy {
		cmd.Env = append(cmd.Env, envChildCopy+"=1")
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var seen []string
	for sc.Scan() {
		if sc.Text() == "READY" {
			break
		}
		seen = append(seen, sc.Text())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL at %q: %v; output %q", stop, err, seen)
	}
}

// tempFiles lists the accept temporary files under dir.
func tempFiles(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".peerhood-") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// diskFull fails writes with ENOSPC once limit bytes are written, and
// records whether the real name was ever visible meanwhile.
type diskFull struct {
	f       *os.File
	limit   int64
	n       *int64
	final   string
	visible *bool
}

func (d diskFull) check() {
	if _, err := os.Stat(d.final); err == nil {
		*d.visible = true
	}
}
func (d diskFull) Write(p []byte) (int, error) {
	d.check()
	if *d.n+int64(len(p)) > d.limit {
		return 0, &fs.PathError{Op: "write", Path: d.f.Name(), Err: syscall.ENOSPC}
	}
	*d.n += int64(len(p))
	return d.f.Write(p)
}
func (d diskFull) WriteAt(p []byte, off int64) (int, error) {
	d.check()
	if off+int64(len(p)) > d.limit {
		return 0, &fs.PathError{Op: "write", Path: d.f.Name(), Err: syscall.ENOSPC}
	}
	return d.f.WriteAt(p, off)
}

// A full disk during accept: the growing file is never visible under its
// real name, nothing is left behind, the item still waits and a later
// accept succeeds.
func TestAcceptDiskFull(t *testing.T) {
	for _, kind := range []string{KindMail, KindFile} {
		t.Run(kind, func(t *testing.T) {
			alice, bob := connectedPair(t)
			data := make([]byte, 3<<20)
			rand.Read(data)
			src := writeFile(t, t.TempDir(), "big.bin", data)
			jobs, err := alice.svc.Send(context.Background(), SendRequest{To: []string{"bob"}, Kind: kind, Subject: "s", Paths: []string{src}})
			if err != nil {
				t.Fatal(err)
			}
			waitState(t, alice, jobs[0].ID, StateDelivered)
			if kind == KindFile { // staged: make the accept copy, as across file systems
				linkFile = func(string, *os.File, string) error { return &os.LinkError{Op: "link", Err: syscall.EXDEV} }
				t.Cleanup(func() { linkFile = linkInto })
			}
			dest := filepath.Join(t.TempDir(), "in")
			final := filepath.Join(dest, "big.bin")
			var n int64
			var visible bool
			testHookPlaceWrite = func(_ string, f *os.File) fileWriter {
				return diskFull{f: f, limit: 1 << 20, n: &n, final: final, visible: &visible}
			}
			_, err = bob.svc.Accept(context.Background(), jobs[0].ID, dest)
			testHookPlaceWrite = nil
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("accept on a full disk: %v", err)
			}
			if visible {
				t.Fatal("the file was visible under its real name while it was written")
			}
			if _, err := os.Stat(final); !errors.Is(err, fs.ErrNotExist) {
				t.Fatal("a failed accept left the file under its real name")
			}
			if parts := tempFiles(dest); len(parts) != 0 {
				t.Fatalf("a failed accept left %v", parts)
			}
			if _, err := bob.svc.Accept(context.Background(), jobs[0].ID, dest); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(final); !bytes.Equal(got, data) {
				t.Fatal("accepted file differs")
			}
		})
	}
}

// A real small file system (tmpfs, as root): the accept fails with the
// disk full and leaves neither the file nor a temporary one.
func TestAcceptRealFullFileSystem(t *testing.T) {
	mnt := testutil.MountTmpfs(t, "1m")
	alice, bob := connectedPair(t)
	data := make([]byte, 3<<20)
	rand.Read(data)
	src := writeFile(t, t.TempDir(), "big.bin", data)
	jobs, err := alice.svc.Send(context.Background(), SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s", Paths: []string{src}})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, jobs[0].ID, StateDelivered)
	dest := filepath.Join(mnt, "in")
	if _, err := bob.svc.Accept(context.Background(), jobs[0].ID, dest); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("accept into a full file system: %v", err)
	}
	ents, _ := os.ReadDir(dest)
	if len(ents) != 0 {
		t.Fatalf("a failed accept left %d entries", len(ents))
	}
}
