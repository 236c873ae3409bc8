package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

// bin is the peerhood binary built for this test run.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "peerhood-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "peerhood")
	args := []string{"build", "-o", bin}
	if os.Getenv("PEERHOOD_E2E_RACE") != "" {
		args = append(args, "-race")
	}
	args = append(args, "github.com/peerhood/peerhood/cmd/peerhood")
	cmd := exec.Command("go", args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build peerhood:", err)
		os.Exit(1)
	}
	// The tests wait on processes and the network far more than they
	// compute: run more of them at once than there are cores, unless
	// -parallel was given.
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		_ = flag.Set("test.parallel", "8")
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Node is one peerhood process with its own state folder.
type Node struct {
	t      *testing.T
	Name   string
	Home   string
	Listen []string
	// Prefix runs the node under another command (ip netns exec NS).
	Prefix []string
	// MDNS lets the node use mDNS. Off by default: on the test machine's
	// real interfaces it would multicast beyond the loopback.
	MDNS bool
	// Env holds NAME=VALUE settings for the node's process only (tests
	// run in parallel, so they never change the test's environment).
	Env    []string
	cmd    *exec.Cmd
	out    *testutil.SyncBuffer
	exited chan struct{}
}

// NewNode prepares a node (not started) in a fresh state folder. Homes
// live under a short temp path: unix socket paths are limited to ~104 bytes.
func NewNode(t *testing.T, name string) *Node {
	t.Helper()
	home, err := os.MkdirTemp("", "ph-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	n := &Node{t: t, Name: name, Home: home, Listen: []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}}
	t.Cleanup(n.Stop)
	return n
}

// StartNode is NewNode followed by Start, with env (NAME=VALUE) set
// for the node's process.
func StartNode(t *testing.T, name string, env ...string) *Node {
	n := NewNode(t, name)
	n.Env = env
	n.Start()
	return n
}

// Start runs `peerhood up` and waits until its control API answers.
func (n *Node) Start(extra ...string) {
	n.t.Helper()
	if err := n.TryStart(extra...); err != nil {
		n.t.Fatal(err)
	}
}

// StartPinned starts the node on a loopback TCP port the kernel picks
// while the node binds it, then pins that port for later starts, so a
// restarted node is found at the address its peers know. (Picking a free
// port first and passing it in raced with every other test's process:
// another could bind it before the node did.)
func (n *Node) StartPinned(extra ...string) {
	n.t.Helper()
	n.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	n.Start(extra...)
	parts := strings.Split(n.TCPAddr(), "/") // "", ip4, 127.0.0.1, tcp, PORT, p2p, ID
	n.Listen = []string{strings.Join(parts[:5], "/")}
}

// TryStart is Start returning an error (with the node's output) instead
// of failing the test.
func (n *Node) TryStart(extra ...string) error {
	args := []string{"up", "--home", n.Home, "--name", n.Name}
	for _, l := range n.Listen {
		args = append(args, "--listen", l)
	}
	if !n.MDNS {
		args = append(args, "--no-mdns")
	}
	args = append(args, extra...)
	n.out = &testutil.SyncBuffer{}
	n.cmd = exec.Command(bin, args...)
	if len(n.Prefix) > 0 {
		n.cmd = exec.Command(n.Prefix[0], append(append(n.Prefix[1:len(n.Prefix):len(n.Prefix)], bin), args...)...)
	}
	n.cmd.Stdout, n.cmd.Stderr = n.out, n.out
	n.cmd.Env = append(append(os.Environ(), "PEERHOOD_HOME="), n.Env...)
	if err := n.cmd.Start(); err != nil {
		return err
	}
	n.exited = make(chan struct{})
	go func() { _ = n.cmd.Wait(); close(n.exited) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-n.exited:
			return fmt.Errorf("node %s exited during start: %s", n.Name, n.out.String())
		default:
		}
		if _, err := n.Run("version", "--json"); err == nil {
			if out, _ := n.Run("version", "--json"); strings.Contains(out, `"node"`) {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("node %s did not answer within 20s: %s", n.Name, n.out.String())
}

// Output returns what the node printed so far.
func (n *Node) Output() string {
	if n.out == nil {
		return ""
	}
	return n.out.String()
}

// Run runs a CLI command against this node and returns its stdout; the
// error carries stderr.
func (n *Node) Run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	full := append([]string{"--home", n.Home}, args...)
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Env = append(os.Environ(), "PEERHOOD_HOME=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String(), fmt.Errorf("peerhood %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// MustRun is Run failing the test on error.
func (n *Node) MustRun(args ...string) string {
	n.t.Helper()
	out, err := n.Run(args...)
	if err != nil {
		n.t.Fatal(err)
	}
	return out
}

// JSON runs a command with --json and decodes its output into v.
func (n *Node) JSON(v any, args ...string) {
	n.t.Helper()
	out := n.MustRun(append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		n.t.Fatalf("decode %v output %q: %v", args, out, err)
	}
}

// Kill sends SIGKILL and waits for the process to die.
func (n *Node) Kill() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	_ = n.cmd.Process.Kill()
	<-n.exited
	n.cmd = nil
}

// Stop sends SIGTERM and waits (up to 10 s, then SIGKILL).
func (n *Node) Stop() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(10 * time.Second):
		n.t.Errorf("node %s did not stop within 10s after SIGTERM", n.Name)
		n.Kill()
	}
	n.cmd = nil
}

// Exited reports whether the process has exited.
func (n *Node) Exited() <-chan struct{} { return n.exited }

// Status is the subset of `status --json` tests look at.
type Status struct {
	Name      string   `json:"name"`
	PeerID    string   `json:"peer_id"`
	Addresses []string `json:"addresses"`
	Peers     []struct {
		ID    string    `json:"id"`
		Link  string    `json:"link"`
		Addr  string    `json:"addr"`
		Since time.Time `json:"since"` // the connection in use opened
	} `json:"peers"`
	Network struct {
		Reachability string   `json:"reachability"`
		Relaying     bool     `json:"relaying"`
		Relays       []string `json:"relays"`
		HolePunch    string   `json:"hole_punch"`
		Connected    int      `json:"connected"`
	} `json:"network"`
}

// Status returns the node's status.
func (n *Node) Status() Status {
	n.t.Helper()
	var s Status
	n.JSON(&s, "status")
	return s
}

// TCPAddr returns the node's loopback TCP multiaddr with /p2p/ID.
func (n *Node) TCPAddr() string {
	n.t.Helper()
	for _, a := range n.Status().Addresses {
		if strings.Contains(a, "/tcp/") && strings.Contains(a, "127.0.0.1") {
			return a
		}
	}
	n.t.Fatalf("node %s has no loopback TCP address", n.Name)
	return ""
}

// Eventually retries f until it returns nil or the timeout passes.
func Eventually(t *testing.T, timeout time.Duration, f func() error) {
	t.Helper()
	EventuallyDiag(t, timeout, f, nil)
}

// EventuallyDiag is Eventually that, on failure, adds what diag says
// (the state of the nodes, to diagnose a flake from the CI log alone).
func EventuallyDiag(t *testing.T, timeout time.Duration, f func() error, diag func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	if diag != nil {
		t.Fatalf("not within %s: %v%s", timeout, err, diag())
	}
	t.Fatalf("not within %s: %v", timeout, err)
}

// globCount is how many entries match pattern.
func globCount(pattern string) int {
	m, _ := filepath.Glob(pattern)
	return len(m)
}

// stepped lets n run only in short slices (SIGCONT, 2 ms, SIGSTOP) until
// check, called while n is stopped, says stop; n is left stopped (the
// caller kills it). A transfer n takes part in so moves on only while
// the test looks: a test slowed down by a loaded machine still catches
// it in the middle. Run freely, a 48 MiB live copy was over before a
// starved poll saw a byte of it, and TestLiveCopySurvivesSIGKILL waited
// for a transfer that was done (a CI failure: "no live offer reached
// bravo (partial files hold 0 bytes)"). An error from check, or 60 s
// without stop, fails the test with diag.
func stepped(t *testing.T, n *Node, diag func() string, check func() (stop bool, err error)) {
	t.Helper()
	p := n.cmd.Process
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err := p.Signal(syscall.SIGSTOP); err != nil {
			t.Fatalf("stop %s: %v", n.Name, err)
		}
		stop, err := check()
		if stop && err == nil {
			return
		}
		_ = p.Signal(syscall.SIGCONT)
		if err == nil && time.Now().After(deadline) {
			err = errors.New("not within 60s")
		}
		if err != nil {
			t.Fatalf("%s run in slices: %v%s", n.Name, err, diag())
		}
		time.Sleep(2 * time.Millisecond)
	}
}
