package tunnel

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/wire"
)

// A forwarded echo server carries bytes both ways: 4 MiB written while
// they are read back, then EOF both ways, and the counters add up.
func TestForwardEchoRoundTrip(t *testing.T) {
	alpha, bravo := newNode(t, "alpha"), newNode(t, "bravo")
	link(alpha, bravo)
	tg := newTarget(t, echo)
	alpha.offer(t, "echo", tg.addr(), "bravo=use")
	f, err := bravo.forward(t, "alpha", "echo")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(f.Local, "127.0.0.1:") || f.Local == "127.0.0.1:0" {
		t.Fatalf("forward listens on %q", f.Local)
	}
	c := dialLocal(t, f.Local)
	data := make([]byte, 4<<20)
	rand.Read(data)
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		if err == nil {
			err = c.CloseWrite()
		}
		werr <- err
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("echo returned %d bytes, differing from the %d sent", len(got), len(data))
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		fs := bravo.svc.Forwards()
		if st := fs[0].Stats; st.Active != 0 || st.Total != 1 || st.BytesIn != int64(len(data)) || st.BytesOut != int64(len(data)) {
			return fmt.Errorf("forward stats %+v", st)
		}
		l, _ := alpha.svc.List(context.Background())
		if st := l[0].Stats; st.Active != 0 || st.Total != 1 || st.BytesIn != int64(len(data)) {
			return fmt.Errorf("service stats %+v", st)
		}
		// The same counters on /metrics.
		want := fmt.Sprintf(`# HELP peerhood_tunnel_service_bytes_total Bytes carried by this node's service
# TYPE peerhood_tunnel_service_bytes_total counter
peerhood_tunnel_service_bytes_total{direction="in",service="echo"} %[1]d
peerhood_tunnel_service_bytes_total{direction="out",service="echo"} %[1]d
# HELP peerhood_tunnel_service_connections_total Tunnels carried by this node's service since start
# TYPE peerhood_tunnel_service_connections_total counter
peerhood_tunnel_service_connections_total{service="echo"} 1
`, len(data))
		if err := promtest.CollectAndCompare(alpha.svc.Collector(), strings.NewReader(want),
			"peerhood_tunnel_service_bytes_total", "peerhood_tunnel_service_connections_total"); err != nil {
			return err
		}
		if n := promtest.CollectAndCount(bravo.svc.Collector(), "peerhood_tunnel_forward_bytes_total"); n != 2 {
			return fmt.Errorf("forward bytes metrics: %d series", n)
		}
		return nil
	})
}

// Half-close is carried both ways: a client that sends its request and
// EOF still reads the answer; a target that sends its greeting and EOF
// still reads what the client sends after.
func TestHalfClose(t *testing.T) {
	alpha, bravo := newNode(t, "alpha"), newNode(t, "bravo")
	link(alpha, bravo)
	got := make(chan string, 2)
	// answer reads to EOF, then answers with what it read.
	answer := newTarget(t, func(c *net.TCPConn) {
		defer c.Close()
		b, _ := io.ReadAll(c)
		fmt.Fprintf(c, "you said %q", b)
	})
	// greet sends a greeting and EOF, then reads to EOF.
	greet := newTarget(t, func(c *net.TCPConn) {
		defer c.Close()
		io.WriteString(c, "hello")
		c.CloseWrite()
		if b, _ := io.ReadAll(c); len(b) > 0 { // not the forward's probe
			got <- string(b)
		}
	})
	alpha.offer(t, "answer", answer.addr(), "*=use")
	alpha.offer(t, "greet", greet.addr(), "*=use")

	t.Run("client first", func(t *testing.T) {
		f, err := bravo.forward(t, "alpha", "answer")
		if err != nil {
			t.Fatal(err)
		}
		c := dialLocal(t, f.Local)
		c.SetReadDeadline(time.Now().Add(10 * time.Second)) // a guard: without half-close the read never ends
		io.WriteString(c, "ping")
		if err := c.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(c)
		if err != nil || string(b) != `you said "ping"` {
			t.Fatalf("read %q, %v", b, err)
		}
	})
	t.Run("target first", func(t *testing.T) {
		f, err := bravo.forward(t, "alpha", "greet")
		if err != nil {
			t.Fatal(err)
		}
		c := dialLocal(t, f.Local)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		b, err := io.ReadAll(c)
		if err != nil || string(b) != "hello" {
			t.Fatalf("read %q, %v", b, err)
		}
		io.WriteString(c, "bye")
		c.CloseWrite()
		select {
		case s := <-got:
			if s != "bye" {
				t.Fatalf("target read %q after its EOF", s)
			}
		case <-time.After(10 * time.Second): // a guard, as above
			t.Fatal("the target never read the client's EOF")
		}
	})
}

// A caller that is not allowed is refused before the target is dialled:
// the target never sees a connection.
func TestRefusedBeforeTargetDial(t *testing.T) {
	tests := []struct {
		name   string
		allow  []string
		groups []string // bravo's groups on alpha
		wg     string   // the workgroup bravo asks in
		member bool     // bravo is in alpha's directory
		code   string   // "" : the stream is reset (not a member)
	}{
		{"excluded by name", []string{"*=use", "bravo=none"}, nil, testWG, true, wire.CodeForbidden},
		{"no rule (the default)", nil, nil, testWG, true, wire.CodeForbidden},
		{"group excluded", []string{"*=use", "group:guests=none"}, []string{"guests"}, testWG, true, wire.CodeForbidden},
		{"other workgroup", []string{"*=use"}, nil, "wg-other", true, wire.CodeNotFound},
		{"unknown service", []string{"*=use"}, nil, testWG, true, wire.CodeNotFound},
		{"not a member", []string{"*=use"}, nil, testWG, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alpha, bravo := newNode(t, "alpha"), newNode(t, "bravo")
			alpha.dir.Add(alpha.member())
			if tc.member {
				alpha.dir.Add(bravo.member(tc.groups...))
			}
			bravo.h.Peerstore().AddAddrs(alpha.h.ID(), alpha.h.Host.Addrs(), time.Hour)
			tg := newTarget(t, echo)
			alpha.offer(t, "echo", tg.addr(), tc.allow...)
			svc := "echo"
			if tc.name == "unknown service" {
				svc = "nosuch"
			}
			for _, probe := range []bool{true, false} {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				c, err := Dial(ctx, bravo.h.Host, alpha.h.ID(), "alpha", Request{Service: svc, Workgroup: tc.wg, Probe: probe})
				cancel()
				if err == nil {
					if !probe {
						c.Close()
					}
					t.Fatalf("probe %v: tunnel opened", probe)
				}
				if code := refusedCode(err); code != tc.code {
					t.Fatalf("probe %v: error %v (code %q), want code %q", probe, err, code, tc.code)
				}
				if tc.code == wire.CodeForbidden && !strings.Contains(err.Error(), `"echo"`) {
					t.Fatalf("refusal does not name the service: %v", err)
				}
			}
			if n := tg.accepted.Load(); n != 0 {
				t.Fatalf("the target saw %d connections", n)
			}
		})
	}
}

// A forward to a service the caller may not use is refused when it is
// asked for, with the service named; its target sees no connection.
func TestForwardRefused(t *testing.T) {
	alpha, bravo := newNode(t, "alpha"), newNode(t, "bravo")
	link(alpha, bravo)
	tg := newTarget(t, echo)
	alpha.offer(t, "ssh", tg.addr(), "*=use", "bravo=none")
	_, err := bravo.forward(t, "alpha", "ssh")
	if refusedCode(err) != wire.CodeForbidden || !strings.Contains(err.Error(), `alpha:ssh: service "ssh" on alpha: bravo may not use it`) {
		t.Fatalf("forward: %v", err)
	}
	if n := tg.accepted.Load(); n != 0 {
		t.Fatalf("the target saw %d connections", n)
	}
	if len(bravo.svc.Forwards()) != 0 {
		t.Fatal("a refused forward is listening")
	}
}

// A target that is down gives target_down, naming the target, on the
// using side.
func TestTargetDown(t *testing.T) {
	alpha, bravo := newNode(t, "alpha"), newNode(t, "bravo")
	link(alpha, bravo)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	down := ln.Addr().String()
	ln.Close()
	alpha.offer(t, "db", down, "*=use")
	_, err := bravo.forward(t, "alpha", "db")
	if refusedCode(err) != CodeTargetDown || !strings.Contains(err.Error(), down) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("forward to a down target: %v", err)
	}
	if ae := apiError(err); !strings.Contains(ae.Error(), "does not answer") {
		t.Fatalf("API error %v", ae)
	}
}

// A member that vanishes mid-stream (its host closes) ends the forwarded
// connection on the using side, and no goroutine is left behind.
func TestPeerVanishesMidStream(t *testing.T) {
	alpha, bravo := newNode(t, "alpha"), newNode(t, "bravo")
	link(alpha, bravo)
	tg := newTarget(t, echo)
	alpha.offer(t, "echo", tg.addr(), "*=use")
	f, err := bravo.forward(t, "alpha", "echo")
	if err != nil {
		t.Fatal(err)
	}
	// Warm up, then count.
	c0 := dialLocal(t, f.Local)
	c0.Write([]byte("x"))
	io.ReadFull(c0, make([]byte, 1))
	c0.Close()
	testutil.Eventually(t, 10*time.Second, func() error { return activeIs(bravo, 0) })
	base := runtime.NumGoroutine()

	var conns []*net.TCPConn
	for range 5 {
		c := dialLocal(t, f.Local)
		c.Write([]byte("ping"))
		if _, err := io.ReadFull(c, make([]byte, 4)); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	if err := activeIs(bravo, 5); err != nil {
		t.Fatal(err)
	}
	alpha.h.Close()
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		if _, err := io.ReadAll(c); err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatal("the local connection stayed open after the member vanished")
		}
		c.Close()
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		if err := activeIs(bravo, 0); err != nil {
			return err
		}
		if n := runtime.NumGoroutine(); n > base {
			return fmt.Errorf("%d goroutines, %d before the tunnels", n, base)
		}
		return nil
	})
}

func activeIs(n *node, want int64) error {
	fs := n.svc.Forwards()
	if got := fs[0].Stats.Active; got != want {
		return fmt.Errorf("forward has %d open connections, want %d", got, want)
	}
	return nil
}

// A member lists only the services of its workgroup it may use.
func TestServicesList(t *testing.T) {
	alpha, bravo := newNode(t, "alpha"), newNode(t, "bravo")
	link(alpha, bravo)
	alpha.offer(t, "echo", "127.0.0.1:7", "bravo")
	alpha.offer(t, "db", "127.0.0.1:5432", "*=use", "bravo=none")
	alpha.offer(t, "ssh", "127.0.0.1:22")
	alpha.svc.Configs().Add(context.Background(), Config{Name: "other", Workgroup: "wg-other", Target: "127.0.0.1:1", Kind: KindTCP, Rules: []Rule{{Who: "*", Right: RightUse}}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, _ := bravo.dir.ByName(testWG, "alpha")
	l, err := bravo.svc.ServicesOf(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 1 || l[0] != (ServiceInfo{Name: "echo", Kind: KindTCP, Workgroup: testWG, Right: RightUse}) {
		t.Fatalf("bravo sees %+v", l)
	}
	self, _ := alpha.dir.Self(testWG)
	if l, _ := alpha.svc.ServicesOf(ctx, self); len(l) != 3 {
		t.Fatalf("alpha sees %d of its own services: %+v", len(l), l)
	}
}

// 200 connections at once through one forward each round-trip their own
// bytes (one stream each, within the per-member limit and the host's
// resource limits).
func TestConcurrentConnections(t *testing.T) {
	const n = 200
	alpha, bravo := newNode(t, "alpha"), newNode(t, "bravo")
	link(alpha, bravo)
	tg := newTarget(t, echo)
	alpha.offer(t, "echo", tg.addr(), "bravo")
	f, err := bravo.forward(t, "alpha", "echo")
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, n)
	conns := make([]*net.TCPConn, n)
	for i := range conns {
		conns[i] = dialLocal(t, f.Local)
	}
	for i, c := range conns {
		go func() {
			msg := fmt.Sprintf("connection %d", i)
			c.SetDeadline(time.Now().Add(60 * time.Second)) // a guard
			if _, err := io.WriteString(c, msg); err != nil {
				errs <- err
				return
			}
			c.CloseWrite()
			b, err := io.ReadAll(c)
			if err == nil && string(b) != msg {
				err = fmt.Errorf("connection %d read %q", i, b)
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if st := bravo.svc.Forwards()[0].Stats; st.Total != n || st.Refused != 0 {
		t.Fatalf("forward stats %+v", st)
	}
}

// A member at its limit of open tunnels is told busy; closing one makes
// room again.
func TestPerMemberLimit(t *testing.T) {
	alpha, bravo := newNode(t, "alpha"), newNode(t, "bravo")
	link(alpha, bravo)
	alpha.svc.opts.MaxPerMember = 2
	tg := newTarget(t, echo)
	alpha.offer(t, "echo", tg.addr(), "bravo")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	open := func() (*Conn, error) {
		return Dial(ctx, bravo.h.Host, alpha.h.ID(), "alpha", Request{Service: "echo", Workgroup: testWG})
	}
	var cs []*Conn
	for range 2 {
		c, err := open()
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	if _, err := open(); refusedCode(err) != CodeBusy {
		t.Fatalf("third tunnel: %v", err)
	}
	cs[0].Abort()
	testutil.Eventually(t, 10*time.Second, func() error {
		c, err := open()
		if err != nil {
			return err
		}
		c.Close()
		return nil
	})
	cs[1].Close()
}

// With an idle timeout, a tunnel that carries nothing either way is
// closed on both sides (the guard below only bounds a failure).
func TestIdleTimeout(t *testing.T) {
	for _, side := range []string{"using", "offering"} {
		t.Run(side, func(t *testing.T) {
			alpha, bravo := newNode(t, "alpha"), newNode(t, "bravo")
			link(alpha, bravo)
			if side == "using" {
				bravo.svc.opts.IdleTimeout = 100 * time.Millisecond
			} else {
				alpha.svc.opts.IdleTimeout = 100 * time.Millisecond
			}
			tg := newTarget(t, echo)
			alpha.offer(t, "echo", tg.addr(), "bravo")
			f, err := bravo.forward(t, "alpha", "echo")
			if err != nil {
				t.Fatal(err)
			}
			c := dialLocal(t, f.Local)
			c.Write([]byte("x"))
			if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			_, err = io.ReadAll(c)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal("an idle tunnel stayed open")
			}
			testutil.Eventually(t, 10*time.Second, func() error { return activeIs(bravo, 0) })
		})
	}
}

// An http service names the member on every request (a client's own
// Peerhood-* headers are dropped), over one kept-alive connection.
func TestHTTPServiceNamesMember(t *testing.T) {
	alpha, bravo := newNode(t, "alpha"), newNode(t, "bravo")
	link(alpha, bravo)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s member=%q wg=%q spoof=%q", r.Method, r.URL.Path,
			r.Header.Get(HeaderMember), r.Header.Get(HeaderWorkgroup), r.Header.Get("Peerhood-Spoof"))
	}))
	defer web.Close()
	rules, _ := ParseRules([]string{"bravo"})
	if _, err := alpha.svc.Configs().Add(context.Background(), Config{Name: "wiki", Workgroup: testWG, Target: web.Listener.Addr().String(), Kind: KindHTTP, Rules: rules}); err != nil {
		t.Fatal(err)
	}
	f, err := bravo.forward(t, "alpha", "wiki")
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 20 * time.Second}
	for _, path := range []string{"/a", "/b"} {
		req, _ := http.NewRequest("GET", "http://"+f.Local+path, nil)
		req.Header.Set(HeaderMember, "mallory")
		req.Header.Set("Peerhood-Spoof", "1")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := fmt.Sprintf(`GET %s member="bravo" wg=%q spoof=""`, path, testWG)
		if string(b) != want {
			t.Fatalf("target saw %q, want %q", b, want)
		}
	}
	if st := bravo.svc.Forwards()[0].Stats; st.Total != 1 {
		t.Fatalf("two requests took %d connections, want 1 (keep-alive)", st.Total)
	}
}
