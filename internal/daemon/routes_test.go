package daemon

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/p2p"
)

// testNode is a nodeInfo over a real libp2p host on 127.0.0.1.
type testNode struct {
	host    *p2p.Host
	home    string
	stopped chan struct{}
}

func (n *testNode) Name() string       { return "alpha" }
func (n *testNode) Home() string       { return n.home }
func (n *testNode) Started() time.Time { return time.Now().Add(-time.Minute) }
func (n *testNode) Host() *p2p.Host    { return n.host }
func (n *testNode) Stop()              { close(n.stopped) }

// startNodeAPI serves the node routes of a testNode on a unix socket in
// a fresh state folder.
func startNodeAPI(t *testing.T) (*api.Server, *testNode, *api.Client) {
	t.Helper()
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := p2p.New(p2p.Config{Key: k, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	home := testHome(t)
	n := &testNode{host: h, home: home, stopped: make(chan struct{})}
	s := api.NewServer(nil, nil)
	nodeRoutes(s, n)
	l, err := s.Listen(home)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return s, n, api.NewClient(home)
}

func TestNodeRouteErrors(t *testing.T) {
	s, _, c := startNodeAPI(t)
	tests := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"wrong method", "DELETE", "/v1/status", nil, 405, "method_not_allowed"},
		{"empty connect", "POST", "/v1/connect", apitypes.ConnectRequest{}, 400, "bad_request"},
		{"unknown field", "POST", "/v1/connect", map[string]string{"adr": "x"}, 400, "bad_request"},
		{"unreachable peer", "POST", "/v1/connect", apitypes.ConnectRequest{Addr: "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWJVwwWZM4ekWPYsWsZAvVh71rkVtC8yUcJchhM8C3u2Vo"}, 503, "unavailable"},
		{"bad multiaddr", "POST", "/v1/connect", apitypes.ConnectRequest{Addr: "not-a-multiaddr"}, 400, "bad_request"},
		{"multiaddr without peer ID", "POST", "/v1/connect", apitypes.ConnectRequest{Addr: "/ip4/127.0.0.1/tcp/4317"}, 400, "bad_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.DoRaw(context.Background(), tc.method, tc.path, tc.body)
			var ae *api.Error
			if !errors.As(err, &ae) {
				t.Fatalf("want *api.Error, got %T %v", err, err)
			}
			if ae.Status != tc.status || ae.Code != tc.code || ae.Message == "" {
				t.Fatalf("got status %d code %q message %q; want %d %q", ae.Status, ae.Code, ae.Message, tc.status, tc.code)
			}
		})
	}
	// 405 names the allowed methods, as HTTP says.
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("DELETE", "/v1/status", nil))
	if allow := rec.Header().Get("Allow"); rec.Code != 405 || allow != "GET" {
		t.Fatalf("DELETE /v1/status: status %d, Allow %q; want 405, GET", rec.Code, allow)
	}
	// The raw reply is a JSON object with the content type.
	res, err := c.Stream(context.Background(), "GET", "/v1/status", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
}

func TestNodeRoutesAnswer(t *testing.T) {
	_, n, c := startNodeAPI(t)
	ctx := context.Background()
	var st apitypes.Status
	if err := c.Do(ctx, "GET", "/v1/status", nil, &st); err != nil {
		t.Fatal(err)
	}
	if st.Name != "alpha" || st.PeerID != n.host.ID().String() || len(st.Addresses) == 0 || st.Peers == nil || st.Uptime < time.Minute {
		t.Fatalf("status %+v", st)
	}
	var ae *api.Error
	if err := c.Do(ctx, "POST", "/v1/connect", apitypes.ConnectRequest{Addr: n.host.Addrs()[0]}, nil); !errors.As(err, &ae) || ae.Status != 400 {
		t.Fatalf("connect to itself: %v", err)
	}
	if err := c.Do(ctx, "POST", "/v1/shutdown", nil, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-n.stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("shutdown did not stop the node")
	}
}

