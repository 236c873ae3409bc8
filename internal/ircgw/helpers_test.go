package ircgw

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

const testToken = "s3cret-token"

// testNet is a two-workgroup in-memory network: alice (admin, the
// gateway's node) and bob have nodes in "home" (default) and "lab";
// carol is in home only, offline.
type testNet struct {
	net   *MemoryNet
	alice *MemoryNode
	bob   *MemoryNode
}

func newTestNet(t testing.TB) *testNet {
	t.Helper()
	// A clock a second further at each reading: message times differ at
	// the millisecond precision of timestamps on the wire.
	var tick atomic.Int64
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	n := NewMemoryNet(func() time.Time { return base.Add(time.Duration(tick.Add(1)) * time.Second) })
	n.AddWorkgroup("wg-home", "home")
	n.AddWorkgroup("wg-lab", "lab")
	tn := &testNet{net: n, alice: n.Node("alice", true, "wg-home", "wg-lab"), bob: n.Node("bob", false, "wg-home", "wg-lab")}
	n.AddMember("carol", false, Offline, "wg-home")
	t.Cleanup(tn.alice.Close)
	t.Cleanup(tn.bob.Close)
	return tn
}

// startGateway serves node's backend on a free loopback port.
func startGateway(t testing.TB, node *MemoryNode, tweak func(*Config)) *Server {
	t.Helper()
	cfg := Config{Addr: "127.0.0.1:0", Token: testToken, Backend: node, Events: node.Bus(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if tweak != nil {
		tweak(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// ircClient is a raw IRC connection for the tests.
type ircClient struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
	log  []Line // every line read
	// silent: the gateway's mark PINGs ("PING :seen-N") go unanswered;
	// otherwise read answers them, as every client does. Either way read
	// does not return them.
	silent bool
}

func dial(t testing.TB, s *Server) *ircClient {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &ircClient{t: t, conn: conn, r: bufio.NewReaderSize(conn, MaxRead)}
}

func (c *ircClient) send(lines ...string) {
	c.t.Helper()
	for _, l := range lines {
		if _, err := io.WriteString(c.conn, l+"\r\n"); err != nil {
			c.t.Fatalf("send %q: %v", l, err)
		}
	}
}

// read returns the next line but the mark PINGs, which it answers
// unless silent; the deadline only keeps a broken test from hanging.
func (c *ircClient) read() (Line, error) {
	for {
		l, err := c.readRaw()
		if err != nil || l.Command != "PING" || !strings.HasPrefix(l.Param(0), markPingPrefix) {
			return l, err
		}
	}
}

// readRaw returns the next line, answering a mark PING unless silent.
func (c *ircClient) readRaw() (Line, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	s, err := c.r.ReadString('\n')
	if err != nil {
		return Line{}, err
	}
	l, err := ParseLine(s)
	if err != nil {
		c.t.Fatalf("server sent a line that does not parse: %q: %v", s, err)
	}
	c.log = append(c.log, l)
	if l.Command == "PING" && strings.HasPrefix(l.Param(0), markPingPrefix) && !c.silent {
		if _, err := io.WriteString(c.conn, "PONG :"+l.Param(0)+"\r\n"); err != nil {
			return Line{}, err
		}
	}
	return l, nil
}

// untilMarkPing reads up to the next mark PING (answered unless silent)
// and returns the lines before it.
func (c *ircClient) untilMarkPing() []Line {
	c.t.Helper()
	var out []Line
	for {
		l, err := c.readRaw()
		if err != nil {
			c.t.Fatalf("waiting for a mark PING: %v; read %s", err, dump(out))
		}
		if l.Command == "PING" && strings.HasPrefix(l.Param(0), markPingPrefix) {
			return out
		}
		out = append(out, l)
	}
}

// settle reads (answering the mark PINGs) until no client of s holds a
// mark not acknowledged: what it read counts as seen. The lines read
// are dropped.
func (c *ircClient) settle(s *Server) {
	c.t.Helper()
	for i := 0; s.marksPending(); i++ {
		if i == 100 {
			c.t.Fatal("marks still not acknowledged after 100 rounds")
		}
		c.send(fmt.Sprintf("PING :settle-%d", i))
		c.until("PONG")
	}
}

// quit settles the client's marks, then QUITs and reads to the end.
func (c *ircClient) quit(s *Server) {
	c.t.Helper()
	c.settle(s)
	c.send("QUIT")
	c.closed()
}

// until reads lines up to and including the first with command cmd,
// returning them all.
func (c *ircClient) until(cmd string) []Line {
	c.t.Helper()
	var out []Line
	for {
		l, err := c.read()
		if err != nil {
			c.t.Fatalf("waiting for %s: %v; read %s", cmd, err, dump(out))
		}
		out = append(out, l)
		if l.Command == cmd {
			return out
		}
	}
}

// untilText reads up to the first PRIVMSG or NOTICE with text.
func (c *ircClient) untilText(text string) Line {
	c.t.Helper()
	for {
		l, err := c.read()
		if err != nil {
			c.t.Fatalf("waiting for %q: %v", text, err)
		}
		if (l.Command == "PRIVMSG" || l.Command == "NOTICE") && l.Param(1) == text {
			return l
		}
	}
}

// closed reads until the server closes the connection and returns the
// lines read.
func (c *ircClient) closed() []Line {
	c.t.Helper()
	var out []Line
	for {
		l, err := c.read()
		if err != nil {
			return out
		}
		out = append(out, l)
	}
}

func dump(ls []Line) string {
	var b strings.Builder
	for _, l := range ls {
		s, _ := Format(l)
		b.WriteString("\n\t" + s)
	}
	return b.String()
}

// register logs in with PASS and the given caps (none: no CAP at all)
// and reads up to the end of the MOTD.
func (c *ircClient) register(caps ...string) []Line {
	c.t.Helper()
	if len(caps) > 0 {
		c.send("CAP LS 302")
		c.until("CAP")
		c.send("CAP REQ :" + strings.Join(caps, " "))
		if l := c.until("CAP"); l[len(l)-1].Param(1) != "ACK" {
			c.t.Fatalf("caps %v refused: %s", caps, dump(l))
		}
	}
	c.send("PASS "+testToken, "NICK whatever", "USER tester 0 * :Test Er")
	if len(caps) > 0 {
		c.send("CAP END")
	}
	return c.until("376")
}

func find(ls []Line, cmd string) (Line, bool) {
	for _, l := range ls {
		if l.Command == cmd {
			return l, true
		}
	}
	return Line{}, false
}

func mustFind(t *testing.T, ls []Line, cmd string) Line {
	t.Helper()
	l, ok := find(ls, cmd)
	if !ok {
		t.Fatalf("no %s in %s", cmd, dump(ls))
	}
	return l
}

func saslPlain(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + "\x00" + user + "\x00" + pass))
}

// realClientRoom sets the scene of a real client's test: bob creates room
// general of wg-home (with topic), alice joins it when aliceJoins, bob
// says before; both members' gateways run and bob's own client is
// registered and joined. It returns alice's gateway, for the real
// client, bob's client and the network (carol's presence).
func realClientRoom(t *testing.T, topic, before string, aliceJoins bool) (*Server, *ircClient, *testNet) {
	t.Helper()
	tn := newTestNet(t)
	if _, err := tn.bob.CreateRoom(t.Context(), "wg-home", "general", topic, nil); err != nil {
		t.Fatal(err)
	}
	if aliceJoins {
		if _, err := tn.alice.JoinRoom(t.Context(), "wg-home", "general"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tn.bob.Say(t.Context(), "wg-home", "general", before, SendOptions{}); err != nil {
		t.Fatal(err)
	}
	sa := startGateway(t, tn.alice, nil)
	bob := dial(t, startGateway(t, tn.bob, nil))
	bob.register()
	bob.until("366")
	return sa, bob, tn
}

// wireTap relays the connections made to the address it returns to
// addr (both on the loopback) and keeps every line that passes, "<< "
// before a client's, ">> " before a server's: what a real client sent
// and got.
func wireTap(t testing.TB, addr string) (string, *testutil.SyncBuffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wire testutil.SyncBuffer
	var conns sync.WaitGroup
	t.Cleanup(func() { ln.Close(); conns.Wait() })
	relay := func(from, to net.Conn, dir string) {
		defer from.Close()
		defer to.Close()
		r := bufio.NewReader(from)
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				_, _ = io.WriteString(&wire, dir+line)
				if _, werr := io.WriteString(to, line); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	conns.Go(func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", addr)
			if err != nil {
				in.Close()
				continue
			}
			conns.Go(func() { relay(in, out, "<< ") })
			conns.Go(func() { relay(out, in, ">> ") })
		}
	})
	return ln.Addr().String(), &wire
}
