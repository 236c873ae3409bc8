package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/store"
)

// testHome is a fresh 0700 state folder with a path short enough for the
// control socket.
func testHome(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "phd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func opts(home, name string) Options {
	return Options{
		Home:        home,
		Name:        name,
		ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"},
		Log:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func start(t *testing.T, o Options) *Node {
	t.Helper()
	n, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func TestStartServeStop(t *testing.T) {
	home := testHome(t)
	var out bytes.Buffer
	o := opts(home, "alpha")
	o.Out = &out
	n := start(t, o)
	c := api.NewClient(home)
	ctx := context.Background()
	var st apitypes.Status
	if err := c.Do(ctx, http.MethodGet, "/v1/status", nil, &st); err != nil {
		t.Fatal(err)
	}
	if st.Name != "alpha" || st.PeerID != n.Identity().PeerID.String() || len(st.Addresses) != 2 {
		t.Fatalf("status %+v", st)
	}
	// One short block: name, peer ID, each listen address, control
	// socket, web UI.
	banner := out.String()
	lines := strings.Split(strings.TrimSpace(banner), "\n")
	if len(lines) != 2+len(st.Addresses)+2 || !strings.Contains(banner, `"alpha"`) || !strings.Contains(banner, "web UI   http://127.0.0.1:") ||
		!strings.Contains(banner, st.PeerID) || !strings.Contains(banner, filepath.Join(home, api.SocketFile)) {
		t.Fatalf("start-up block:\n%s", banner)
	}
	raw, err := c.DoRaw(ctx, http.MethodGet, "/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"libp2p_swarm_", "libp2p_identify_", "libp2p_rcmgr_", "go_goroutines", "process_resident_memory_bytes",
		// each module's own (a workgroup's members online: see the README tour test)
		`peerhood_queue_jobs{state="queued"} 0`, "peerhood_mailbox_bytes 0", "peerhood_delivery_seconds_count 0",
		`peerhood_transfers_total{direction="get",result="ok"} 0`, `peerhood_transfer_bytes_total{direction="put"} 0`} {
		if !bytes.Contains(raw, []byte(m)) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	for _, f := range []string{identity.NodeKeyFile, identity.AgeKeyFile, DBFile, api.SocketFile} {
		fi, err := os.Stat(filepath.Join(home, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, fi.Mode(), err)
		}
	}

	t0 := time.Now()
	if err := n.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("idle node took %s to stop", d)
	}
	if err := c.Do(ctx, http.MethodGet, "/v1/status", nil, nil); !errors.Is(err, api.ErrNotRunning) {
		t.Fatalf("after close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(home, api.SocketFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("control socket left behind")
	}
	// The lock is free again, and the identity and name are kept.
	n2 := start(t, opts(home, ""))
	if n2.Identity().PeerID != n.Identity().PeerID || n2.Name() != "alpha" {
		t.Fatalf("restart: %s %q", n2.Identity().PeerID, n2.Name())
	}
}

func TestNameDefaultsToFoldedHostName(t *testing.T) {
	t.Parallel()
	hn, err := os.Hostname()
	if err != nil {
		t.Skip("no host name:", err)
	}
	home := testHome(t)
	n := start(t, opts(home, ""))
	if want := identity.FoldName(hn); n.Name() != want {
		t.Fatalf("name %q, want the folded host name %q", n.Name(), want)
	}
	n.Close()
	n = start(t, opts(home, "Renamed-1"))
	if n.Name() != "Renamed-1" {
		t.Fatalf("--name not applied: %q", n.Name())
	}
	n.Close()
	if n = start(t, opts(home, "")); n.Name() != "Renamed-1" {
		t.Fatalf("chosen name not kept: %q", n.Name())
	}
	if _, err := Start(context.Background(), opts(testHome(t), "bad_name")); err == nil || !strings.Contains(err.Error(), "--name") {
		t.Fatalf("invalid name accepted: %v", err)
	}
}

func TestSecondStartNamesPID(t *testing.T) {
	t.Parallel()
	home := testHome(t)
	start(t, opts(home, "alpha"))
	_, err := Start(context.Background(), opts(home, "alpha"))
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("want ErrLocked, got %v", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("PID %d", os.Getpid())) || !strings.Contains(err.Error(), home) {
		t.Fatalf("error does not name the PID and folder: %v", err)
	}
	// The running node is unharmed.
	if err := api.NewClient(home).Do(context.Background(), http.MethodGet, "/v1/version", nil, nil); err != nil {
		t.Fatalf("first node after refused second start: %v", err)
	}
}

// Each broken state folder is refused with an error naming the file, and
// nothing in it is changed.
func TestRefusesBrokenState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, home string) string // breaks home, returns the file the error must name
		want  string
	}{
		{"home others can read", func(t *testing.T, home string) string {
			if err := os.Chmod(home, 0o755); err != nil {
				t.Fatal(err)
			}
			return home
		}, "others can read"},
		{"home is a file", func(t *testing.T, home string) string {
			f := filepath.Join(home, "file")
			os.WriteFile(f, []byte("x"), 0o600)
			return f
		}, "not a folder"},
		{"corrupt node key", func(t *testing.T, home string) string {
			return writeFile(t, home, identity.NodeKeyFile, "garbage\n", 0o600)
		}, "not a peerhood node key"},
		{"node key others can read", func(t *testing.T, home string) string {
			return writeFile(t, home, identity.NodeKeyFile, "garbage\n", 0o644)
		}, "chmod 600"},
		{"unreadable node key", func(t *testing.T, home string) string {
			p := filepath.Join(home, identity.NodeKeyFile)
			os.Remove(p)
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
			return p
		}, identity.NodeKeyFile},
		{"corrupt age key", func(t *testing.T, home string) string {
			return writeFile(t, home, identity.AgeKeyFile, "AGE-SECRET-KEY-1NOTAKEY\n", 0o600)
		}, "corrupt"},
		{"corrupt database", func(t *testing.T, home string) string {
			return writeFile(t, home, DBFile, strings.Repeat("not sqlite ", 500), 0o600)
		}, "corrupt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			home := testHome(t)
			if !strings.HasPrefix(tc.name, "home") && tc.name != "corrupt node key" {
				// A node ran here before: keys and database exist.
				n := start(t, opts(home, "alpha"))
				n.Close()
			}
			named := tc.setup(t, home)
			if tc.name == "home is a file" {
				home = named
			}
			before := snapshot(t, home)
			_, err := Start(context.Background(), opts(home, ""))
			if err == nil {
				t.Fatal("started on a broken state folder")
			}
			if tc.name == "corrupt database" && !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("want store.ErrCorrupt, got %v", err)
			}
			if !strings.Contains(err.Error(), named) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q should name %s and say %q", err, named, tc.want)
			}
			if after := snapshot(t, home); after != before {
				t.Fatalf("state folder changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	os.Remove(p)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// snapshot describes every file of dir but the lock: name, mode, content.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() {
		b, _ := os.ReadFile(dir)
		return fmt.Sprintf("%v %x", fi.Mode(), b)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%v;", fi.Mode())
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() == LockFile {
			continue
		}
		info, _ := e.Info()
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		fmt.Fprintf(&b, " %s %v %x;", e.Name(), info.Mode(), data)
	}
	return b.String()
}

// A component that hangs on Close does not hold the node past StopLimit,
// and the database still closes; WaitStopped waits for the component.
func TestCloseBounded(t *testing.T) {
	home := testHome(t)
	n := start(t, opts(home, "alpha"))
	hang := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(hang) }) }
	defer release()
	n.closers = append(n.closers, closer{"hanging", func() error { <-hang; return nil }})
	t0 := time.Now()
	err := n.Close()
	if d := time.Since(t0); d > StopLimit+time.Second {
		t.Fatalf("close took %s", d)
	}
	if !errors.Is(err, ErrSlowStop) || !strings.Contains(err.Error(), "hanging: a component did not stop") {
		t.Fatalf("hung component not reported: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := n.WaitStopped(ctx); err == nil {
		t.Fatal("WaitStopped returned while a component still runs")
	}
	release()
	if err := n.WaitStopped(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := n.DB().PingContext(context.Background()); err == nil {
		t.Fatal("database still open after close")
	}
	// The lock is released: a new node starts at once.
	n2 := start(t, opts(home, ""))
	n2.Close()
}
