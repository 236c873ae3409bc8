package up

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/cli"
	"github.com/peerhood/peerhood/internal/client"
	"github.com/peerhood/peerhood/internal/daemon"
	"github.com/peerhood/peerhood/internal/testutil"
)

// startNode runs a whole node in a fresh state folder with a workgroup.
func startNode(t *testing.T, name string) (string, *client.Client) {
	t.Helper()
	home, err := os.MkdirTemp("", "phw-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	n, err := daemon.Start(context.Background(), daemon.Options{Home: home, Name: name, NoMDNS: true,
		ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	c := client.New(home)
	if name == "alpha" {
		if _, err := c.CreateWorkgroup(context.Background(), "office"); err != nil {
			t.Fatal(err)
		}
	}
	return home, c
}

// runWatch runs `peerhood --home HOME args...` until the test cancels it.
func runWatch(t *testing.T, home string, args ...string) (*testutil.SyncBuffer, func() error) {
	t.Helper()
	out := &testutil.SyncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	root := cli.NewApp(out, io.Discard).Root(Command)
	root.SetArgs(append([]string{"--home", home}, args...))
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			return fmt.Errorf("--watch did not stop")
		}
	}
	t.Cleanup(func() { _ = stop() })
	return out, stop
}

// browse --watch draws the list, then draws it again when a member's
// presence changes, and returns cleanly when its context ends.
func TestBrowseWatchRedrawsOnPresence(t *testing.T) {
	t.Parallel()
	home, c := startNode(t, "alpha")
	out, stop := runWatch(t, home, "browse", "--watch")
	testutil.Eventually(t, 10*time.Second, func() error {
		if !strings.Contains(out.String(), "alpha*") {
			return fmt.Errorf("no first draw: %q", out.String())
		}
		return nil
	})
	// Presence learns of the new workgroup on its own tick: set a state
	// until a draw shows it.
	states := []string{"busy", "away"}
	testutil.Eventually(t, 10*time.Second, func() error {
		if _, err := c.SetPresence(context.Background(), apitypes.PresenceRequest{State: states[0], Text: "meeting"}); err != nil {
			return err
		}
		states[0], states[1] = states[1], states[0]
		if s := out.String(); !strings.Contains(s, "busy (meeting)") && !strings.Contains(s, "away (meeting)") {
			return fmt.Errorf("no redraw with the new presence: %q", s)
		}
		return nil
	})
	if n := strings.Count(out.String(), "NAME"); n < 2 {
		t.Fatalf("%d draws:\n%s", n, out.String())
	}
	if err := stop(); err != nil {
		t.Fatalf("browse --watch: %v", err)
	}
}

// queue --watch draws the queue, then again when a job is queued for
// another member.
func TestQueueWatchRedrawsOnJobs(t *testing.T) {
	t.Parallel()
	home, c := startNode(t, "alpha")
	ctx := context.Background()
	inv, err := c.Invite(ctx, apitypes.InviteRequest{})
	if err != nil {
		t.Fatal(err)
	}
	_, c2 := startNode(t, "bravo")
	if _, err := c2.Join(ctx, apitypes.JoinRequest{Token: inv.Token}); err != nil {
		t.Fatal(err)
	}
	out, stop := runWatch(t, home, "queue", "--watch")
	testutil.Eventually(t, 10*time.Second, func() error {
		if !strings.Contains(out.String(), "queue is empty") {
			return fmt.Errorf("no first draw: %q", out.String())
		}
		return nil
	})
	file := filepath.Join(t.TempDir(), "report.txt")
	if err := os.WriteFile(file, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Copy(ctx, apitypes.CopyRequest{To: []string{"bravo"}, Paths: []string{file}}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		if !strings.Contains(out.String(), "report.txt") {
			return fmt.Errorf("no redraw with the job: %q", out.String())
		}
		return nil
	})
	if err := stop(); err != nil {
		t.Fatalf("queue --watch: %v", err)
	}
}
