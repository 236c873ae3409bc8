package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/workgroup"
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
func (n *testNode) Directory() workgroup.Directory {
	return workgroup.NewStaticDirectory(n.host.ID())
}

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

// A whole node's OpenAPI document lists every module's routes, each with
// a unique operationId, and every $ref resolves.
func TestNodeOpenAPIDocument(t *testing.T) {
	home := testHome(t)
	start(t, opts(home, "alpha"))
	raw, err := api.NewClient(home).DoRaw(context.Background(), "GET", "/openapi.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
		Comps struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for p, ops := range doc.Paths {
		for m, op := range ops {
			if other, dup := ids[op.OperationID]; dup || op.OperationID == "" {
				t.Errorf("%s %s: operationId %q (also %s)", m, p, op.OperationID, other)
			}
			ids[op.OperationID] = m + " " + p
		}
	}
	for _, want := range []string{"/v1/status", "/v1/peers", "/v1/connect", "/v1/version", "/v1/shutdown", "/openapi.json",
		"/v1/workgroups", "/v1/invites", "/v1/join", "/v1/members", "/v1/members/{name}", "/v1/members/{name}/groups",
		"/v1/browse", "/v1/presence", "/v1/logon", "/v1/logoff", "/v1/shares", "/v1/shares/{name}/access", "/v1/shares/{name}",
		"/v1/files/ls", "/v1/files/get", "/v1/files/put", "/v1/files/mkdir", "/v1/files/rm", "/v1/files/mv",
		"/v1/mail/send", "/v1/mail", "/v1/mail/{id}", "/v1/copy", "/v1/inbox", "/v1/inbox/{id}/accept", "/v1/inbox/{id}",
		"/v1/queue", "/v1/queue/{id}/cancel", "/v1/queue/{id}/retry", "/v1/mount-info", "/v1/events"} {
		if doc.Paths[want] == nil {
			t.Errorf("document lacks %s", want)
		}
	}
	for _, ref := range regexp.MustCompile(`"\$ref":\s*"#/components/schemas/([^"]+)"`).FindAllStringSubmatch(string(raw), -1) {
		if _, ok := doc.Comps.Schemas[ref[1]]; !ok {
			t.Errorf("$ref to missing schema %s", ref[1])
		}
	}
}

// The typed client's paths are the node's routes: each call reaches its
// handler (a reply, or the handler's own error), never the 404 or 405 of
// an unknown route.
func TestClientReachesEveryRoute(t *testing.T) {
	home := testHome(t)
	start(t, opts(home, "alpha"))
	c := client.New(home)
	ctx := context.Background()
	calls := map[string]func() error{
		"status":       func() error { _, err := c.Status(ctx); return err },
		"peers":        func() error { _, err := c.Peers(ctx); return err },
		"version":      func() error { _, err := c.Version(ctx); return err },
		"connect":      func() error { _, err := c.Connect(ctx, ""); return err },
		"workgroups":   func() error { _, err := c.Workgroups(ctx); return err },
		"create":       func() error { _, err := c.CreateWorkgroup(ctx, "office"); return err },
		"invite":       func() error { _, err := c.Invite(ctx, apitypes.InviteRequest{Uses: -1}); return err },
		"join":         func() error { _, err := c.Join(ctx, apitypes.JoinRequest{}); return err },
		"members":      func() error { _, err := c.Members(ctx, ""); return err },
		"remove":       func() error { _, err := c.RemoveMember(ctx, "", "ghost"); return err },
		"groups":       func() error { _, err := c.MemberGroups(ctx, "ghost", apitypes.MemberGroupsRequest{}); return err },
		"browse":       func() error { _, err := c.Browse(ctx, ""); return err },
		"presence":     func() error { _, err := c.Presence(ctx); return err },
		"set presence": func() error { _, err := c.SetPresence(ctx, apitypes.PresenceRequest{State: "away"}); return err },
		"logon":        func() error { _, err := c.Logon(ctx); return err },
		"logoff":       func() error { _, err := c.Logoff(ctx); return err },
		"mount-info":   func() error { _, err := c.MountInfo(ctx); return err },
		"shares":       func() error { _, err := c.Shares(ctx); return err },
		"add share":    func() error { _, err := c.AddShare(ctx, apitypes.ShareAddRequest{Name: "x", Path: "rel"}); return err },
		"set access":   func() error { _, err := c.SetShareAccess(ctx, "x", apitypes.ShareSetRequest{}); return err },
		"rm share":     func() error { _, err := c.RemoveShare(ctx, "nope"); return err },
		"ls":           func() error { _, err := c.Ls(ctx, "alpha:", ""); return err },
		"mkdir":        func() error { _, err := c.Mkdir(ctx, apitypes.FilesRequest{Target: "bad"}); return err },
		"rm":           func() error { _, err := c.Rm(ctx, apitypes.FilesRequest{Target: "bad"}); return err },
		"mv":           func() error { _, err := c.Mv(ctx, apitypes.FilesRequest{Target: "bad"}); return err },
		"get":          func() error { _, err := c.Get(ctx, apitypes.FilesRequest{Target: "bad", Local: "rel"}); return err },
		"put":          func() error { _, err := c.Put(ctx, apitypes.FilesRequest{Target: "bad", Local: "rel"}); return err },
		"send mail":    func() error { _, err := c.SendMail(ctx, apitypes.MailSendRequest{}); return err },
		"mail":         func() error { _, err := c.Mail(ctx, true); return err },
		"read mail":    func() error { _, err := c.ReadMail(ctx, "nope"); return err },
		"delete mail":  func() error { _, err := c.DeleteMail(ctx, "nope"); return err },
		"copy":         func() error { _, err := c.Copy(ctx, apitypes.CopyRequest{}); return err },
		"inbox":        func() error { _, err := c.Inbox(ctx); return err },
		"accept": func() error {
			_, err := c.Accept(ctx, "nope", apitypes.AcceptRequest{Dest: "/nonexistent"})
			return err
		},
		"delete inbox": func() error { _, err := c.DeleteInbox(ctx, "nope"); return err },
		"queue":        func() error { _, err := c.Queue(ctx); return err },
		"cancel":       func() error { _, err := c.CancelJob(ctx, "nope"); return err },
		"retry":        func() error { _, err := c.RetryJob(ctx, "nope"); return err },
	}
	for name, call := range calls {
		err := call()
		var ae *api.Error
		if errors.As(err, &ae) && (ae.Code == "method_not_allowed" || strings.HasPrefix(ae.Message, "no endpoint")) {
			t.Errorf("%s: %v", name, err)
		} else if err != nil && !errors.As(err, &ae) {
			t.Errorf("%s: not an API error: %v", name, err)
		}
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// GET /v1/events streams the node's events: a presence change and a new
// share arrive as presence.changed and share.changed; an unknown kind is
// a JSON 400; closing the node ends the stream.
func TestEventsRoute(t *testing.T) {
	home := testHome(t)
	n := start(t, opts(home, "alpha"))
	c := client.New(home)
	ctx := context.Background()
	if _, err := c.CreateWorkgroup(ctx, "office"); err != nil {
		t.Fatal(err)
	}
	_, err := c.Events(ctx, "", "no.such.kind")
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Code != "bad_request" {
		t.Fatalf("unknown kind: %v", err)
	}
	stream, err := c.Events(ctx, "", apitypes.EventPresenceChanged, apitypes.EventShareChanged)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	got := make(chan apitypes.Event, 64)
	go func() {
		defer close(got)
		for {
			ev, err := stream.Next()
			if err != nil {
				return
			}
			got <- ev
		}
	}()
	next := func() apitypes.Event {
		select {
		case ev, ok := <-got:
			if !ok {
				t.Fatal("the stream ended")
			}
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
		}
		return apitypes.Event{}
	}
	if _, err := c.AddShare(ctx, apitypes.ShareAddRequest{Name: "docs", Path: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev.Kind != apitypes.EventShareChanged {
		t.Fatalf("want share.changed, got %+v", ev)
	}
	// Presence learns of the new workgroup on its own tick: change the
	// state until it reports it.
	states := []string{"busy", "away"}
	testutil.Eventually(t, 10*time.Second, func() error {
		if _, err := c.SetPresence(ctx, apitypes.PresenceRequest{State: states[0]}); err != nil {
			return err
		}
		states[0], states[1] = states[1], states[0]
		select {
		case ev := <-got:
			if ev.Kind != apitypes.EventPresenceChanged {
				return fmt.Errorf("got %+v", ev)
			}
			return nil
		case <-time.After(200 * time.Millisecond):
			return errors.New("no presence.changed yet")
		}
	})
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	for range got { // the stream ends with the node
	}
}
