package tunnel

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/apitypes"
)

// roundTrip writes line through c and reads it back from the echo target.
func roundTrip(c *net.TCPConn, line string) error {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return err
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if got != line+"\n" {
		return errors.New("echo returned " + got)
	}
	return nil
}

// endsSoon reports whether the tunnel carried by c is closed within 5 s
// (a read ends with EOF or a reset, not the deadline).
func endsSoon(c *net.TCPConn) bool {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// Access is checked for each new connection, and a changed access list
// or a removed service applies to the tunnels already open too: the
// member the new list refuses loses its open tunnel at once, another
// member's stays; removing the service ends the rest.
func TestAccessChangeClosesOpenTunnels(t *testing.T) {
	alpha, bravo, charlie := newNode(t, "alpha"), newNode(t, "bravo"), newNode(t, "charlie")
	link(alpha, bravo, charlie)
	tg := newTarget(t, echo)
	alpha.offer(t, "echo", tg.addr(), "bravo=use", "charlie=use")
	conns := map[string]*net.TCPConn{}
	for _, n := range []*node{bravo, charlie} {
		f, err := n.forward(t, "alpha", "echo")
		if err != nil {
			t.Fatal(err)
		}
		conns[n.name] = dialLocal(t, f.Local)
		if err := roundTrip(conns[n.name], "hello from "+n.name); err != nil {
			t.Fatalf("%s's tunnel before the change: %v", n.name, err)
		}
	}

	ctx := context.Background()
	if _, err := alpha.svc.setAccess(ctx, "echo", apitypes.ServiceSetRequest{Allow: []string{"charlie=use", "bravo=none"}}); err != nil {
		t.Fatal(err)
	}
	if !endsSoon(conns["bravo"]) {
		t.Fatal("bravo's open tunnel outlived the access change that refuses bravo")
	}
	if err := roundTrip(conns["charlie"], "still here"); err != nil {
		t.Fatalf("charlie's tunnel, still allowed, was cut: %v", err)
	}

	if err := alpha.svc.removeService(ctx, "echo"); err != nil {
		t.Fatal(err)
	}
	if !endsSoon(conns["charlie"]) {
		t.Fatal("charlie's open tunnel outlived the removal of the service")
	}
}
