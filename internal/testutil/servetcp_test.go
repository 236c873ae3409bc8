package testutil

import (
	"bufio"
	"net"
	"testing"
	"time"
)

func TestServeTCP(t *testing.T) {
	ln := ServeTCP(t, func(c net.Conn) {
		defer c.Close()
		line, _ := bufio.NewReader(c).ReadString('\n')
		_, _ = c.Write([]byte("echo:" + line))
	})
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("hi\n")); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != "echo:hi\n" {
		t.Fatalf("got %q, %v; want \"echo:hi\\n\"", got, err)
	}
}

// A silent server holds the connection open, answering nothing, until
// the test that made it ends: then the connection is closed.
func TestServeTCPSilentClosedAtEnd(t *testing.T) {
	var c net.Conn
	t.Run("inner", func(t *testing.T) {
		ln := ServeTCP(t, nil)
		var err error
		c, err = net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
			t.Fatalf("silent server answered: %d bytes, %v", n, err)
		}
	})
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("connection not closed when the test ended: %v", err)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
