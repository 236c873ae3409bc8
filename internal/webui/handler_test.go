package webui

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/peerhood/peerhood/internal/api"
)

// echo is what the control API's stand-in route answers: the request as
// the control API saw it.
type echo struct {
	Path   string `json:"path"`
	Cookie string `json:"cookie"`
	CSRF   string `json:"csrf"`
}

// newUI starts a UI on 127.0.0.1:0 over a real control-API server with
// one route of each kind, and returns it with a browser-like client
// (cookie jar, no redirects followed beyond the login).
func newUI(t *testing.T) (*Server, *http.Client) {
	t.Helper()
	srv := api.NewServer(nil, nil)
	reply := func(ctx context.Context, r *http.Request, _ api.Empty) (echo, error) {
		return echo{Path: r.URL.Path, Cookie: r.Header.Get("Cookie"), CSRF: r.Header.Get("X-CSRF-Token")}, nil
	}
	api.Handle(srv, "GET /v1/thing", "a read", reply)
	api.Handle(srv, "POST /v1/thing", "a write", reply)
	Routes(srv, nil)
	ui, err := Listen(Config{Addr: "127.0.0.1:0", API: srv.Handler()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ui.Close() })
	jar, _ := cookiejar.New(nil)
	return ui, &http.Client{Jar: jar}
}

// login trades a one-time link for the session and returns the page's
// CSRF token.
func login(t *testing.T, ui *Server, c *http.Client) string {
	t.Helper()
	res, err := c.Get(ui.LoginURL())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/" || res.Request.URL.RawQuery != "" {
		t.Fatalf("login: %s at %s, want 200 at / with a clean URL", res.Status, res.Request.URL)
	}
	m := regexp.MustCompile(`name="csrf-token" content="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", body)
	}
	return string(m[1])
}

func do(t *testing.T, c *http.Client, method, u string, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader("{}"))
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestFrontDoor: the checks of every request, each refusal against its
// accepted twin (so a refusal is the check's, not a broken request).
func TestFrontDoor(t *testing.T) {
	ui, c := newUI(t)
	csrf := login(t, ui, c)
	base := strings.TrimSuffix(ui.URL(), "/")
	u, _ := url.Parse(base)
	origin := base
	tests := []struct {
		name   string
		method string
		path   string
		hdr    map[string]string
		want   int
	}{
		{"write with origin and token", "POST", "/api/v1/thing", map[string]string{"Origin": origin, "X-CSRF-Token": csrf}, 200},
		{"write without the CSRF token", "POST", "/api/v1/thing", map[string]string{"Origin": origin}, 403},
		{"write with a wrong CSRF token", "POST", "/api/v1/thing", map[string]string{"Origin": origin, "X-CSRF-Token": csrf + "x"}, 403},
		{"write without Origin", "POST", "/api/v1/thing", map[string]string{"X-CSRF-Token": csrf}, 403},
		{"write from a foreign origin", "POST", "/api/v1/thing", map[string]string{"Origin": "http://evil.example", "X-CSRF-Token": csrf}, 403},
		{"write from another loopback port", "POST", "/api/v1/thing", map[string]string{"Origin": "http://127.0.0.1:1", "X-CSRF-Token": csrf}, 403},
		{"write from a null origin", "POST", "/api/v1/thing", map[string]string{"Origin": "null", "X-CSRF-Token": csrf}, 403},
		{"read", "GET", "/api/v1/thing", nil, 200},
		{"read with this server in Host", "GET", "/api/v1/thing", map[string]string{"Host": "127.0.0.1:" + u.Port()}, 200},
		{"read from a foreign origin", "GET", "/api/v1/thing", map[string]string{"Origin": "http://evil.example"}, 403},
		{"read with a foreign Host (DNS rebinding)", "GET", "/api/v1/thing", map[string]string{"Host": "evil.example:" + u.Port()}, 403},
		{"read with another port in Host", "GET", "/api/v1/thing", map[string]string{"Host": "127.0.0.1:1"}, 403},
		{"outside /v1/", "GET", "/api/openapi.json", nil, 404},
		{"no login link from a session", "POST", "/api/v1/ui/login", map[string]string{"Origin": origin, "X-CSRF-Token": csrf}, 404},
		{"Basic instead of the session", "GET", "/api/v1/thing", map[string]string{"Authorization": "Basic cGVlcmhvb2Q6eA==", "Cookie": ""}, 401},
		{"static asset", "GET", "/js/app.js", nil, 200},
		{"no directory listing", "GET", "/js/", nil, 404},
		{"QR code", "GET", "/qr.png?text=hello", nil, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cl := c
			if _, ok := tc.hdr["Authorization"]; ok {
				cl = &http.Client{} // no cookie
			}
			if got, body := do(t, cl, tc.method, base+tc.path, tc.hdr); got != tc.want {
				t.Fatalf("%s %s: %d, want %d: %s", tc.method, tc.path, got, tc.want, body)
			}
		})
	}
}

// TestNoSession: without a session nothing of the node is readable; the
// page says how to log in, the API answers 401 without a Basic prompt.
func TestNoSession(t *testing.T) {
	ui, _ := newUI(t)
	c := &http.Client{}
	code, body := do(t, c, "GET", ui.URL(), nil)
	if code != http.StatusUnauthorized || !strings.Contains(body, "peerhood open") || strings.Contains(body, "csrf-token") {
		t.Fatalf("page without session: %d %q", code, body)
	}
	res, err := c.Get(ui.URL() + "api/v1/thing")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") != "" {
		t.Fatalf("API without session: %s, WWW-Authenticate %q", res.Status, res.Header.Get("WWW-Authenticate"))
	}
	for _, p := range []string{"qr.png?text=x"} {
		if code, _ := do(t, c, "GET", ui.URL()+p, nil); code != http.StatusUnauthorized {
			t.Errorf("%s without session: %d, want 401", p, code)
		}
	}
}

// TestLoginTokenWorksOnce: the link of `peerhood open` buys one session;
// used again (a leaked history entry) it buys nothing.
func TestLoginTokenWorksOnce(t *testing.T) {
	ui, c := newUI(t)
	link := ui.LoginURL()
	res, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("first use: %s", res.Status)
	}
	other := &http.Client{}
	res, err = other.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("second use: %s, want 403", res.Status)
	}
}

// TestHeaders: the page's policy forbids inline script and framing; an
// API answer is sandboxed; the control API never sees the UI's cookie
// or CSRF token.
func TestHeaders(t *testing.T) {
	ui, c := newUI(t)
	csrf := login(t, ui, c)
	res, err := c.Get(ui.URL())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	csp := res.Header.Get("Content-Security-Policy")
	if csp != PageCSP || strings.Contains(csp, "unsafe-inline") || res.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("page headers: CSP %q, XFO %q", csp, res.Header.Get("X-Frame-Options"))
	}
	req, _ := http.NewRequest("POST", ui.URL()+"api/v1/thing", strings.NewReader("{}"))
	req.Header.Set("Origin", strings.TrimSuffix(ui.URL(), "/"))
	req.Header.Set("X-CSRF-Token", csrf)
	res, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("API headers: %v", res.Header)
	}
	if !strings.Contains(string(b), `"path": "/v1/thing"`) || !strings.Contains(string(b), `"cookie": ""`) || !strings.Contains(string(b), `"csrf": ""`) {
		t.Fatalf("the control API saw: %s", b)
	}
}

// TestLoginRoute: the control API's POST /v1/ui/login gives the UI's
// address and a link that logs in; with the UI off it answers 503.
func TestLoginRoute(t *testing.T) {
	ui, err := Listen(Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ui.Close()
	for _, tc := range []struct {
		name string
		ui   *Server
		want int
	}{{"on", ui, http.StatusOK}, {"off", nil, http.StatusServiceUnavailable}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := api.NewServer(nil, nil)
			Routes(srv, tc.ui)
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/v1/ui/login", nil))
			if rec.Code != tc.want {
				t.Fatalf("%d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
			if tc.ui != nil && (!strings.Contains(rec.Body.String(), `"url": "`+ui.URL()+`"`) || !strings.Contains(rec.Body.String(), ui.URL()+".peerhood/login?token=")) {
				t.Fatalf("reply %s", rec.Body)
			}
		})
	}
}
