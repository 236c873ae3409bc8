package tunnel

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

// A forwarded connection sends its first bytes before the offering node
// answers (no round trip is waited for), yet a caller refused by then
// never reaches the target: the connection is closed, its bytes are
// dropped with the stream, and the forward keeps the refusal as its last
// error; once allowed again, the next connection carries its bytes.
func TestEarlyDataRefused(t *testing.T) {
	ctx := context.Background()
	alpha, bravo := newNode(t, "alpha"), newNode(t, "bravo")
	link(alpha, bravo)
	got := make(chan string, 4)
	tg := newTarget(t, func(c *net.TCPConn) {
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- string(b)
	})
	alpha.offer(t, "sink", tg.addr(), "bravo")
	f, err := bravo.forward(t, "alpha", "sink")
	if err != nil {
		t.Fatal(err)
	}
	// The forward's probe dialled the target once; its accept may lag.
	testutil.Eventually(t, 10*time.Second, func() error {
		if n := tg.accepted.Load(); n != 1 {
			return fmt.Errorf("the target accepted %d connections, want the probe's", n)
		}
		return nil
	})
	probes := tg.accepted.Load()
	rules, _ := ParseRules([]string{"bravo=none"})
	if err := alpha.svc.Configs().SetRules(ctx, "sink", rules); err != nil {
		t.Fatal(err)
	}
	// send reports how one connection through the forward ended; a
	// refusal may reset it as early as the connect (the forward answers
	// at once), so a dial error counts as its end too.
	send := func(msg string) error {
		nc, err := net.Dial("tcp", f.Local)
		if err != nil {
			return err
		}
		c := nc.(*net.TCPConn)
		defer c.Close()
		if _, err := io.WriteString(c, msg); err != nil {
			return err
		}
		c.CloseWrite()
		c.SetReadDeadline(time.Now().Add(20 * time.Second)) // a guard
		_, err = io.ReadAll(c)
		return err
	}
	if err := send("secret"); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Fatalf("a refused connection ended with %v, want a reset", err)
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		fw := bravo.svc.Forwards()[0]
		if fw.Stats.Refused != 1 || !strings.Contains(fw.LastError, "bravo may not use it") {
			return fmt.Errorf("forward after a refusal: %+v", fw)
		}
		return nil
	})
	if n := tg.accepted.Load(); n != probes {
		t.Fatalf("the target saw %d connections from a refused caller", n-probes)
	}
	rules, _ = ParseRules([]string{"bravo"})
	if err := alpha.svc.Configs().SetRules(ctx, "sink", rules); err != nil {
		t.Fatal(err)
	}
	if err := send("hello"); err != nil {
		t.Fatal(err)
	}
	for s := range got { // the probes' connections read nothing
		if s != "" {
			if s != "hello" {
				t.Fatalf("the target read %q", s)
			}
			break
		}
	}
}
