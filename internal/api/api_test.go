package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// testNode is the state folder the test server listens in.
type testNode struct {
	home string
}

type thing struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// extraRoutes stand for a service's routes, with path parameters.
func extraRoutes(s *Server) {
	Handle(s, "GET /v1/things/{name}", "One thing", func(ctx context.Context, r *http.Request, _ Empty) (thing, error) {
		if r.PathValue("name") == "missing" {
			return thing{}, NotFound("no thing %q", r.PathValue("name"))
		}
		return thing{Name: r.PathValue("name")}, nil
	})
	Handle(s, "PUT /v1/things/{name}/files/{path...}", "Store a file of a thing", func(ctx context.Context, r *http.Request, req thing) (thing, error) {
		return req, nil
	}, "mode")
}

// startServer serves the API on a unix socket in a fresh state folder.
func startServer(t *testing.T) (*Server, *testNode, *Client) {
	t.Helper()
	home := shortTempDir(t)
	n := &testNode{home: home}
	s := NewServer(nil, nil)
	extraRoutes(s)
	l, err := s.Listen(home)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return s, n, NewClient(home)
}

// shortTempDir is a temp folder with a path short enough for a socket.
func shortTempDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "pha-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func TestOpenAPIDocument(t *testing.T) {
	s, _, c := startServer(t)
	raw, err := c.DoRaw(context.Background(), http.MethodGet, "/openapi.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
		Comps   struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	ids := map[string]string{}
	for _, rt := range s.routes {
		p := pathParam.ReplaceAllString(rt.Path, "{$1}")
		op, ok := doc.Paths[p][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("route %s %s missing from the document", rt.Method, rt.Path)
			continue
		}
		id, _ := op["operationId"].(string)
		if id == "" {
			t.Errorf("%s %s: no operationId", rt.Method, p)
		}
		if other, dup := ids[id]; dup {
			t.Errorf("operationId %q used by %s and %s %s", id, other, rt.Method, p)
		}
		ids[id] = rt.Method + " " + p
		if s, _ := op["summary"].(string); s == "" {
			t.Errorf("%s %s: no summary", rt.Method, p)
		}
		declared := map[string]bool{}
		params, _ := op["parameters"].([]any)
		for _, pa := range params {
			m := pa.(map[string]any)
			if m["in"] == "path" {
				declared[m["name"].(string)] = true
			}
		}
		for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(p, -1) {
			if !declared[m[1]] {
				t.Errorf("%s %s: path parameter %q not declared", rt.Method, p, m[1])
			}
		}
		if rt.Req != nil && op["requestBody"] == nil {
			t.Errorf("%s %s: request body not described", rt.Method, p)
		}
	}
	// Every $ref points at a schema that exists.
	for _, ref := range regexp.MustCompile(`"\$ref":\s*"#/components/schemas/([^"]+)"`).FindAllStringSubmatch(string(raw), -1) {
		if _, ok := doc.Comps.Schemas[ref[1]]; !ok {
			t.Errorf("$ref to missing schema %s", ref[1])
		}
	}
	for _, want := range []string{"/openapi.json", "/debug/pprof/", "/v1/things/{name}", "/v1/things/{name}/files/{path}"} {
		if doc.Paths[want] == nil {
			t.Errorf("document lacks %s", want)
		}
	}
	if got := len(ids); got != len(s.routes) {
		t.Errorf("%d operations for %d routes", got, len(s.routes))
	}
}

func TestErrorsAreJSON(t *testing.T) {
	_, _, c := startServer(t)
	tests := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"unknown path", "GET", "/v1/nothing-here", nil, 404, "not_found"},
		{"unknown root path", "GET", "/favicon.ico", nil, 404, "not_found"},
		{"wrong method", "DELETE", "/openapi.json", nil, 405, "method_not_allowed"},
		{"wrong method on a path with a wildcard", "DELETE", "/v1/things/x", nil, 405, "method_not_allowed"},
		{"handler's not found", "GET", "/v1/things/missing", nil, 404, "not_found"},
		{"unknown field", "PUT", "/v1/things/a/files/b", map[string]string{"nam": "x"}, 400, "bad_request"},
		{"malformed body", "PUT", "/v1/things/a/files/b", "not an object", 400, "bad_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.DoRaw(context.Background(), tc.method, tc.path, tc.body)
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("want *api.Error, got %T %v", err, err)
			}
			if ae.Status != tc.status || ae.Code != tc.code || ae.Message == "" {
				t.Fatalf("got status %d code %q message %q; want %d %q", ae.Status, ae.Code, ae.Message, tc.status, tc.code)
			}
		})
	}
	// 405 names the allowed methods, as HTTP says.
	hr, _ := http.NewRequest("DELETE", "http://peerhood/openapi.json", nil)
	res, err := c.hc.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if allow := res.Header.Get("Allow"); res.StatusCode != 405 || allow != "GET" {
		t.Fatalf("DELETE /openapi.json: status %d, Allow %q; want 405, GET", res.StatusCode, allow)
	}
	// The raw reply of an unknown path is a JSON object with the content type.
	res, err = c.Stream(context.Background(), "GET", "/v1/things/a", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
}

func TestRoutesAnswer(t *testing.T) {
	_, _, c := startServer(t)
	ctx := context.Background()
	var th thing
	if err := c.Do(ctx, "PUT", "/v1/things/a/files/x/y.txt", thing{Name: "b", Size: 3}, &th); err != nil || th.Name != "b" || th.Size != 3 {
		t.Fatalf("put: %+v %v", th, err)
	}
	if err := c.Do(ctx, "GET", "/v1/things/c", nil, &th); err != nil || th.Name != "c" {
		t.Fatalf("get: %+v %v", th, err)
	}
}

func TestSocketMode(t *testing.T) {
	_, n, _ := startServer(t)
	fi, err := os.Stat(filepath.Join(n.home, SocketFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("control socket mode %v, want socket 0600", fi.Mode())
	}
}

// Every way of finding no node gives ErrNotRunning and the hint.
func TestClientNodeNotRunning(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T) string // returns the home
	}{
		{"home does not exist", func(t *testing.T) string { return filepath.Join(shortTempDir(t), "none") }},
		{"home without socket", shortTempDir},
		{"stale socket of a killed node", func(t *testing.T) string {
			home := shortTempDir(t)
			l, err := net.Listen("unix", filepath.Join(home, SocketFile))
			if err != nil {
				t.Fatal(err)
			}
			l.(*net.UnixListener).SetUnlinkOnClose(false)
			l.Close()
			return home
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			home := tc.setup(t)
			c := NewClient(home)
			for _, call := range []func() error{
				func() error { return c.Do(context.Background(), "GET", "/v1/status", nil, nil) },
				func() error {
					_, err := c.Stream(context.Background(), "GET", "/v1/status", nil, "")
					return err
				},
				func() error {
					ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
					defer cancel()
					return c.WaitReady(ctx)
				},
			} {
				err := call()
				if !errors.Is(err, ErrNotRunning) {
					t.Fatalf("want ErrNotRunning, got %v", err)
				}
				if !strings.Contains(err.Error(), "start it with: peerhood up") || !strings.Contains(err.Error(), home) {
					t.Fatalf("error lacks the hint or the folder: %v", err)
				}
			}
		})
	}
}

// A request still running when the server shuts down is cut off within
// the drain time, and Shutdown returns.
func TestShutdownBounded(t *testing.T) {
	s, _, c := startServer(t)
	started := make(chan struct{})
	Handle(s, "GET /v1/slow", "never answers", func(ctx context.Context, r *http.Request, _ Empty) (Empty, error) {
		close(started)
		<-ctx.Done()
		return Empty{}, ctx.Err()
	})
	errc := make(chan error, 1)
	go func() { _, err := c.DoRaw(context.Background(), "GET", "/v1/slow", nil); errc <- err }()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_ = s.Shutdown(ctx)
	if d := time.Since(t0); d > 2*time.Second {
		t.Fatalf("shutdown took %s", d)
	}
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("cut-off request reported success")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("client still waiting after shutdown")
	}
	if _, err := os.Stat(s.sock); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket left behind: %v", err)
	}
}

func TestProfilesOnTheSocket(t *testing.T) {
	_, _, c := startServer(t)
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/debug/pprof/heap", "/debug/pprof/cmdline"} {
		res, err := c.Stream(context.Background(), "GET", p, nil, "")
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if len(b) == 0 {
			t.Fatalf("GET %s: empty body", p)
		}
	}
}

// A long-lived stream ends at Shutdown through an OnShutdown hook, so
// Shutdown does not wait for the drain time: without the hook, Shutdown
// with no deadline would wait for the stream forever.
func TestOnShutdownEndsStreams(t *testing.T) {
	s, _, c := startServer(t)
	done := make(chan struct{})
	var once sync.Once
	end := func() { once.Do(func() { close(done) }) }
	HandleRaw(s, "GET /v1/stream", "a stream that ends on shutdown", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-done
	})
	s.OnShutdown(end)
	res, err := c.Stream(context.Background(), "GET", "/v1/stream", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	stopped := make(chan error, 1)
	go func() { stopped <- s.Shutdown(context.Background()) }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		end()
		t.Fatal("shutdown still waiting for the stream")
	}
	if _, err := io.ReadAll(res.Body); err != nil {
		t.Fatalf("stream did not end cleanly: %v", err)
	}
}
