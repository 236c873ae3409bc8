package workgroup

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	manet "github.com/multiformats/go-multiaddr/net"
)

// A joiner whose first dial to the inviter fails (the connection is
// reset before any handshake: the inviter's node was busy or restarting)
// dials again within the join's time to reach the inviter, past libp2p's
// dial backoff, and joins.
func TestJoinRedialsInviter(t *testing.T) {
	t.Parallel()
	alpha, bravo := newTNode(t, "alpha"), newTNode(t, "bravo")
	wg := mustCreate(t, alpha, "office")
	tk, err := ParseToken(mustInvite(t, alpha, InviteOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	target, err := manet.ToNetAddr(alpha.host.Host.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	p := resetFirstProxy(t, target.String())
	tk.Addrs = []string{p.addr}
	tok, err := tk.Encode()
	if err != nil {
		t.Fatal(err)
	}
	mustJoin(t, bravo, tok, "")
	if err := wantMembers(bravo, wg.ID, 2); err != nil {
		t.Fatal(err)
	}
	if n := p.accepted.Load(); n < 2 {
		t.Fatalf("the proxy took %d connections: the reset one was not the first dial", n)
	}
}

// proxy is a TCP proxy on the loopback to one address; it resets the
// first connection it takes and forwards the later ones.
type proxy struct {
	addr     string // its multiaddr
	accepted atomic.Int32
}

func resetFirstProxy(t *testing.T, to string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ma, err := manet.FromNetAddr(l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: ma.String()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		for _, c := range open {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if p.accepted.Add(1) == 1 {
				_ = c.(*net.TCPConn).SetLinger(0) // closed with a reset
				_ = c.Close()
				continue
			}
			up, err := net.Dial("tcp", to)
			if err != nil {
				_ = c.Close()
				continue
			}
			mu.Lock()
			open = append(open, c, up)
			mu.Unlock()
			wg.Go(func() { _, _ = io.Copy(up, c); _ = up.Close() })
			wg.Go(func() { _, _ = io.Copy(c, up); _ = c.Close() })
		}
	})
	return p
}
