package p2p

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// connect (ConnectAddr) reports the address it used and fails on a dead
// address even while the peer is connected through another one: the
// address given is dialled itself (a fresh connection, checked and
// closed), never answered by the connection already there.
func TestConnectAddrDialsTheGivenAddress(t *testing.T) {
	t.Parallel()
	a, b := newTestHost(t), newTestHost(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var tcp, quic string
	for _, s := range b.Addrs() {
		switch {
		case strings.Contains(s, "/tcp/") && tcp == "":
			tcp = s
		case strings.Contains(s, "/quic-v1/") && quic == "":
			quic = s
		}
	}
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dead := "/ip4/127.0.0.1/tcp/" + strconv.Itoa(port) + "/p2p/" + b.ID().String()

	for _, tc := range []struct {
		name, addr string
		fail       string // in the error; "" for success
		probed     bool
		via        string // the connection kept: "tcp" or "quic"
	}{
		{name: "not connected: this address", addr: tcp, via: "tcp"},
		{name: "connected on this address", addr: tcp, via: "tcp"},
		{name: "connected elsewhere: probed", addr: quic, probed: true, via: "tcp"},
		{name: "connected elsewhere: dead address", addr: dead, fail: "does not answer"},
	} {
		rep, err := a.ConnectAddr(ctx, tc.addr)
		if tc.fail != "" {
			if err == nil || !strings.Contains(err.Error(), tc.fail) {
				t.Fatalf("%s: %+v, %v; want an error saying %q", tc.name, rep, err, tc.fail)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if rep.ID != b.ID() || !strings.HasPrefix(tc.addr, rep.Dialed.String()) || rep.Probed != tc.probed ||
			!strings.Contains(rep.Via.String(), "/"+tc.via) {
			t.Fatalf("%s: %+v", tc.name, rep)
		}
	}
	if !strings.Contains(a.Peers()[0].Addr, "/tcp/") {
		t.Fatalf("the kept connection changed: %+v", a.Peers())
	}
}
