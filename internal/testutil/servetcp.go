package testutil

import (
	"net"
	"sync"
	"testing"
)

// ServeTCP listens on a free loopback TCP port and hands each connection
// it accepts to serve, in a goroutine of its own; serve nil holds every
// connection open and silent (an address that accepts and never
// answers). When the test ends the listener and every accepted
// connection still open are closed.
func ServeTCP(t testing.TB, serve func(net.Conn)) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		done  bool
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		done = true
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if done {
				mu.Unlock()
				c.Close()
				return
			}
			conns = append(conns, c)
			mu.Unlock()
			if serve != nil {
				go serve(c)
			}
		}
	}()
	return ln
}
