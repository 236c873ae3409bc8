package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// One test per error the node must report clearly, with a non-zero exit
// and nothing lost.

// upResult is what a `peerhood up` that is expected to fail did.
type upResult struct {
	out  string // stdout and stderr
	code int
}

// runUp runs `peerhood up` on home to its end (bounded by 20 s).
func runUp(t *testing.T, home string, args ...string) upResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	full := append([]string{"up", "--home", home}, args...)
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Env = append(os.Environ(), "PEERHOOD_HOME=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("peerhood up did not exit within 20s: %s", out.String())
	}
	var ee *exec.ExitError
	code := 0
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return upResult{out: out.String(), code: code}
}

// mustFail checks a refused start: non-zero exit, every want in the output.
func (r upResult) mustFail(t *testing.T, want ...string) {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("peerhood up exited 0; output:\n%s", r.out)
	}
	for _, w := range want {
		if !strings.Contains(r.out, w) {
			t.Errorf("output lacks %q:\n%s", w, r.out)
		}
	}
	if strings.Contains(r.out, "panic") || strings.Contains(r.out, "goroutine ") {
		t.Errorf("crashed:\n%s", r.out)
	}
}

var loopback = []string{"--listen", "/ip4/127.0.0.1/tcp/0"}

// initHome runs a node once on a fresh home so keys and database exist,
// and returns the home.
func initHome(t *testing.T) string {
	t.Helper()
	n := StartNode(t, "alpha")
	n.Stop()
	return n.Home
}

// fileBytes reads a file, failing the test if it cannot.
func fileBytes(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestErrorNodeNotRunning(t *testing.T) {
	t.Parallel()
	n := NewNode(t, "idle")
	for _, args := range [][]string{
		{"status"},
		{"status", "--json"},
		{"peers"},
		{"connect", "/ip4/127.0.0.1/tcp/4317/p2p/12D3KooWJVwwWZM4ekWPYsWsZAvVh71rkVtC8yUcJchhM8C3u2Vo"},
	} {
		cmd := exec.Command(bin, append([]string{"--home", n.Home}, args...)...)
		cmd.Env = append(os.Environ(), "PEERHOOD_HOME=")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() == 0 {
			t.Errorf("%v: want a non-zero exit, got %v", args, err)
		}
		if !strings.Contains(string(out), "start it with: peerhood up") || !strings.Contains(string(out), "not running") {
			t.Errorf("%v: output %q", args, out)
		}
	}
}

func TestErrorSecondUpNamesPID(t *testing.T) {
	t.Parallel()
	a := StartNode(t, "alpha")
	pid := a.cmd.Process.Pid
	r := runUp(t, a.Home, loopback...)
	r.mustFail(t, "PID "+strconv.Itoa(pid), a.Home, "in use")
	// The first node is unharmed.
	if s := a.Status(); s.Name != "alpha" {
		t.Fatalf("first node after the refused second: %+v", s)
	}
}

func TestErrorPortInUse(t *testing.T) {
	t.Parallel()
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	// Another peerhood node holds a port with SO_REUSEPORT, which would
	// let a careless second bind share it.
	other := StartNode(t, "holder")
	otherTCP := strings.Split(other.TCPAddr(), "/")[4]

	tests := []struct {
		name, listen string
	}{
		{"TCP port held by a program", fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", tcp.Addr().(*net.TCPAddr).Port)},
		{"UDP port held by a program", fmt.Sprintf("/ip4/127.0.0.1/udp/%d/quic-v1", udp.LocalAddr().(*net.UDPAddr).Port)},
		{"TCP port held by another peerhood", "/ip4/127.0.0.1/tcp/" + otherTCP},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			home := NewNode(t, "second").Home
			r := runUp(t, home, "--listen", tc.listen)
			r.mustFail(t, "address already in use", tc.listen, "--listen")
		})
	}
	if s := other.Status(); s.Name != "holder" {
		t.Fatalf("holder after the refused starts: %+v", s)
	}
}

func TestErrorKeyFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		file    string
		breakIt func(t *testing.T, p string)
		want    string
	}{
		{"corrupt node key", "node.key", func(t *testing.T, p string) {
			os.WriteFile(p, []byte("-----BEGIN PEERHOOD NODE KEY-----\nAAAA\n-----END PEERHOOD NODE KEY-----\n"), 0o600)
		}, "corrupt"},
		{"node key that is not a key", "node.key", func(t *testing.T, p string) {
			os.WriteFile(p, []byte("hello\n"), 0o600)
		}, "not a peerhood node key"},
		{"unreadable node key", "node.key", func(t *testing.T, p string) {
			// Root reads any file whatever its mode; a folder in its place
			// cannot be read by anyone.
			os.Remove(p)
			os.Mkdir(p, 0o700)
		}, "node.key"},
		{"node key others can read", "node.key", func(t *testing.T, p string) {
			os.Chmod(p, 0o644)
		}, "chmod 600"},
		{"corrupt age key", "age.key", func(t *testing.T, p string) {
			os.WriteFile(p, []byte("AGE-SECRET-KEY-1GARBAGE\n"), 0o600)
		}, "corrupt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			home := initHome(t)
			p := filepath.Join(home, tc.file)
			tc.breakIt(t, p)
			before := snapshotDir(t, home)
			r := runUp(t, home, loopback...)
			r.mustFail(t, p, tc.want)
			if after := snapshotDir(t, home); after != before {
				t.Fatalf("state folder changed by a refused start:\n%s\n%s", before, after)
			}
		})
	}
}

func TestErrorCorruptDatabase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		breakIt func(b []byte) []byte
	}{
		{"not a database", func([]byte) []byte { return []byte(strings.Repeat("not a database ", 1000)) }},
		{"damaged pages", func(b []byte) []byte {
			if len(b) < 3*4096 {
				b = append(b, make([]byte, 3*4096-len(b))...)
			}
			for i := 4096; i < 3*4096; i++ {
				b[i] = 0x5A
			}
			return b
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			home := initHome(t)
			db := filepath.Join(home, "state.db")
			broken := tc.breakIt(fileBytes(t, db))
			os.Remove(db + "-wal")
			os.Remove(db + "-shm")
			if err := os.WriteFile(db, broken, 0o600); err != nil {
				t.Fatal(err)
			}
			r := runUp(t, home, loopback...)
			r.mustFail(t, db, "corrupt", "will not overwrite")
			if !bytes.Equal(fileBytes(t, db), broken) {
				t.Fatal("corrupt database was modified")
			}
		})
	}
}

func TestErrorStateFolderOthersCanRead(t *testing.T) {
	t.Parallel()
	for _, mode := range []os.FileMode{0o755, 0o750, 0o701} {
		t.Run(mode.String(), func(t *testing.T) {
			home := NewNode(t, "x").Home
			if err := os.Chmod(home, mode); err != nil {
				t.Fatal(err)
			}
			r := runUp(t, home, loopback...)
			r.mustFail(t, home, "others can read", "chmod 700")
			fi, _ := os.Stat(home)
			if fi.Mode().Perm() != mode {
				t.Fatalf("mode changed to %v", fi.Mode().Perm())
			}
			if ents, _ := os.ReadDir(home); len(ents) != 0 {
				t.Fatalf("files created in a refused folder: %v", ents)
			}
		})
	}
}

// snapshotDir describes every file of dir but the lock.
func snapshotDir(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() == "lock" {
			continue
		}
		info, _ := e.Info()
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		fmt.Fprintf(&b, "%s %v %x\n", e.Name(), info.Mode(), data)
	}
	return b.String()
}
