package e2e

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

// A TCP echo server on alpha, offered to bravo, is used through
// `peerhood forward` on bravo with real processes: bytes round-trip with
// half-close; after `service set` excludes bravo, a new forward is
// refused and the server sees no connection; `forward rm` stops the
// listener; a persisted forward comes back after bravo restarts.
func TestTunnelForwardEcho(t *testing.T) {
	alpha, bravo := StartNode(t, "alpha"), StartNode(t, "bravo")
	office(t, alpha, bravo)

	ln, accepted := prefixEcho(t)

	out := alpha.MustRun("service", "add", "echo", ln.Addr().String(), "--allow", "bravo=use")
	if !strings.Contains(out, `"echo"`) || !strings.Contains(out, "bravo=use") {
		t.Fatalf("service add: %q", out)
	}
	if _, err := alpha.Run("service", "add", "lan", "192.0.2.1:22", "--allow", "*"); err == nil || !strings.Contains(err.Error(), "--allow-remote-target") {
		t.Fatalf("remote target without the flag: %v", err)
	}

	var fwd struct {
		Local  string `json:"local"`
		Member string `json:"member"`
	}
	Eventually(t, 20*time.Second, func() error {
		out, err := bravo.Run("forward", "alpha:echo", "--persist", "--json")
		if err != nil {
			return err
		}
		return jsonInto(out, &fwd)
	})
	roundTrip := func() error { return prefixEchoRoundTrip(bravo, fwd.Local) }
	if err := roundTrip(); err != nil {
		t.Fatal(err)
	}
	if out := bravo.MustRun("service", "ls", "alpha"); !strings.Contains(out, "alpha:echo") {
		t.Fatalf("service ls alpha on bravo: %q", out)
	}
	// browse lists alpha's service with bravo's right.
	Eventually(t, 10*time.Second, func() error {
		if out := bravo.MustRun("browse"); !strings.Contains(out, "echo(use)") {
			return fmt.Errorf("browse on bravo: %q", out)
		}
		return nil
	})
	if out := bravo.MustRun("forward", "ls"); !strings.Contains(out, fwd.Local) || !strings.Contains(out, "alpha:echo") {
		t.Fatalf("forward ls: %q", out)
	}

	// Restart bravo: the persisted forward listens again.
	bravo.Stop()
	bravo.Start()
	// With mDNS off, bravo is told where alpha is (the address book is
	// discovery's concern, not this test's).
	bravo.MustRun("connect", alpha.TCPAddr())
	start := time.Now()
	Eventually(t, 30*time.Second, roundTrip)
	t.Logf("the persisted forward carried a connection %v after the restart", time.Since(start).Round(time.Millisecond))

	// Excluded: refused with the service named; the server sees nothing.
	alpha.MustRun("service", "set", "echo", "--allow", "*=use", "--allow", "bravo=none")
	before := accepted.Load()
	_, err := bravo.Run("forward", "alpha:echo")
	if err == nil || !strings.Contains(err.Error(), `service "echo" on alpha: bravo may not use it`) {
		t.Fatalf("forward after exclusion: %v", err)
	}
	if n := accepted.Load(); n != before {
		t.Fatalf("the server saw %d new connections from a refused member", n-before)
	}
	if out := alpha.MustRun("service", "ls"); !strings.Contains(out, "bravo=none") {
		t.Fatalf("service ls: %q", out)
	}

	bravo.MustRun("forward", "rm", "alpha:echo")
	if _, err := net.Dial("tcp", fwd.Local); err == nil {
		t.Fatal("the forward still listens after rm")
	}
}

// prefixEcho is a TCP server on 127.0.0.1 that reads each connection to
// EOF (the request is complete) and answers "echo:" and what it read; it
// counts the connections it accepted.
func prefixEcho(t *testing.T) (net.Listener, *atomic.Int64) {
	accepted := new(atomic.Int64)
	ln := testutil.ServeTCP(t, func(c net.Conn) {
		accepted.Add(1)
		defer c.Close()
		b, _ := io.ReadAll(c)
		c.Write([]byte("echo:" + string(b)))
	})
	return ln, accepted
}

// prefixEchoRoundTrip sends "hello" through node's forward at local to a
// prefixEcho server, half-closes, and checks the answer.
func prefixEchoRoundTrip(node *Node, local string) error {
	c, err := net.Dial("tcp", local)
	if err != nil {
		return err
	}
	defer c.Close()
	c.Write([]byte("hello"))
	c.(*net.TCPConn).CloseWrite()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		ls, _ := node.Run("forward", "ls")
		return fmt.Errorf("%v; forward ls:\n%s", err, ls)
	}
	if string(b) != "echo:hello" {
		return fmt.Errorf("through the forward: %q", b)
	}
	return nil
}

// A member whose certificate is revoked loses its open tunnels within
// seconds, and a member that is offline is reported as such.
func TestTunnelRevokedAndOffline(t *testing.T) {
	alpha, bravo, charlie := StartNode(t, "alpha"), StartNode(t, "bravo"), StartNode(t, "charlie")
	office(t, alpha, bravo, charlie)
	ln := testutil.ServeTCP(t, func(c net.Conn) { defer c.Close(); io.Copy(c, c) })
	alpha.MustRun("service", "add", "echo", ln.Addr().String(), "--allow", "*")
	var fwd struct {
		Local string `json:"local"`
	}
	Eventually(t, 20*time.Second, func() error {
		out, err := bravo.Run("forward", "alpha:echo", "--json")
		if err != nil {
			return err
		}
		return jsonInto(out, &fwd)
	})
	c, err := net.Dial("tcp", fwd.Local)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("ping"))
	if _, err := io.ReadFull(c, make([]byte, 4)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	alpha.MustRun("member", "remove", "bravo")
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err = io.ReadAll(c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the revoked member's tunnel stayed open")
	}
	t.Logf("the revoked member's tunnel closed %v after the revocation", time.Since(start).Round(time.Millisecond))

	charlie.MustRun("forward", "alpha:echo")
	alpha.Stop()
	_, err = charlie.Run("forward", "alpha:echo")
	if err == nil || !strings.Contains(err.Error(), "member alpha is not reachable now") {
		t.Fatalf("forward to an offline member: %v", err)
	}
}
