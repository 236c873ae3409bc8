package loopback

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestListenRefusesNonLoopback(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:0", true},
		{"localhost:0", true},
		{"LOCALHOST:0", true},
		{"0.0.0.0:0", false},
		{":0", false},
		{"[::]:0", false},
		{"192.168.1.10:0", false},
		{"10.0.0.1:0", false},
		{"example.com:0", false},
		{"localhost.example.com:0", false},
		{"127.0.0.1", false}, // no port
	} {
		l, err := Listen(tc.addr)
		if tc.ok != (err == nil) {
			t.Errorf("Listen(%q): err %v, want ok=%v", tc.addr, err, tc.ok)
		}
		if err == nil {
			if !l.Addr().(*net.TCPAddr).IP.IsLoopback() {
				t.Errorf("Listen(%q) bound %s", tc.addr, l.Addr())
			}
			l.Close()
		} else if tc.addr != "127.0.0.1" && !errors.Is(err, ErrNotLoopback) {
			t.Errorf("Listen(%q): %v, want ErrNotLoopback", tc.addr, err)
		}
	}
}

// req builds a request that came in on port 4318.
func req(method, host string, hdr map[string]string) *http.Request {
	r := httptest.NewRequest(method, "http://x/", nil)
	r.Host = host
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	return r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4318}))
}

func TestCheckHost(t *testing.T) {
	for host, ok := range map[string]bool{
		"127.0.0.1:4318": true, "localhost:4318": true, "LocalHost:4318": true, "[::1]:4318": true,
		"127.0.0.1:4319": false, "127.0.0.1": false, "localhost": false, "127.0.0.2:4318": false,
		"evil.example:4318": false, "localhost.evil.example:4318": false, "[::1]": false, "::1:4318": false,
		"[::1]x:4318": false, "127.0.0.1:+4318": false, "127.0.0.1:04318": false, "": false,
		"0.0.0.0:4318": false, "[::ffff:127.0.0.1]:4318": false, "127.1:4318": false,
	} {
		if err := CheckHost(req("GET", host, nil)); (err == nil) != ok {
			t.Errorf("Host %q: %v, want ok=%v", host, err, ok)
		}
	}
}

func TestCheckOrigin(t *testing.T) {
	for origin, ok := range map[string]bool{
		"":                           true, // absent (set below)
		"http://127.0.0.1:4318":      true,
		"http://localhost:4318":      true,
		"http://[::1]:4318":          true,
		"http://127.0.0.1:4319":      false,
		"http://127.0.0.1":           false,
		"https://127.0.0.1:4318":     false,
		"null":                       false,
		"http://evil.example":        false,
		"http://127.0.0.1:4318/x":    false,
		"http://u@127.0.0.1:4318":    false,
		"http://127.0.0.1:4318.evil": false,
		"file://":                    false,
	} {
		hdr := map[string]string{}
		if origin != "" {
			hdr["Origin"] = origin
		}
		for _, m := range []string{"GET", "PUT", "DELETE"} {
			if err := CheckOrigin(req(m, "127.0.0.1:4318", hdr)); (err == nil) != ok {
				t.Errorf("%s Origin %q: %v, want ok=%v", m, origin, err, ok)
			}
		}
	}
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// TestLoginAndCSRF: a one-time token buys one HttpOnly, SameSite=Strict
// session; the session authenticates; a state-changing request of a
// session needs its CSRF token; tokens expire.
func TestLoginAndCSRF(t *testing.T) {
	c := &clock{now: time.Unix(1_700_000_000, 0)}
	g := NewGuard(Config{User: "peerhood", Token: "tok", Now: c.Now})
	h := g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	srv := httptest.NewServer(h)
	defer srv.Close()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	login := func(tok string) *http.Response {
		resp, err := noRedirect.Get(srv.URL + LoginPath + "?token=" + url.QueryEscape(tok))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	tok := g.NewLoginToken()
	resp := login(tok)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login = %d", resp.StatusCode)
	}
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == CookieName+"_"+srv.URL[strings.LastIndex(srv.URL, ":")+1:] {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" {
		t.Fatalf("session cookie %+v", cookie)
	}
	if resp := login(tok); resp.StatusCode != http.StatusForbidden {
		t.Errorf("second use of a login token = %d, want 403", resp.StatusCode)
	}
	late := g.NewLoginToken()
	c.now = c.now.Add(LoginTokenTTL + time.Second)
	if resp := login(late); resp.StatusCode != http.StatusForbidden {
		t.Errorf("expired login token = %d, want 403", resp.StatusCode)
	}
	do := func(method string, hdr map[string]string) int {
		r, _ := http.NewRequest(method, srv.URL+"/x", nil)
		r.AddCookie(cookie)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := do("GET", nil); code != 200 {
		t.Errorf("GET with the session = %d", code)
	}
	if code := do("PUT", nil); code != 403 {
		t.Errorf("PUT with the session and no CSRF token = %d, want 403", code)
	}
	if code := do("PUT", map[string]string{"X-CSRF-Token": "wrong"}); code != 403 {
		t.Errorf("PUT with a wrong CSRF token = %d, want 403", code)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: CookieName, Value: cookie.Value}) // no listener: the bare name
	if code := do("PUT", map[string]string{"X-CSRF-Token": g.CSRFToken(r)}); code != 200 {
		t.Errorf("PUT with the CSRF token = %d, want 200", code)
	}
	c.now = c.now.Add(SessionTTL)
	if code := do("GET", nil); code != 401 {
		t.Errorf("GET with an expired session = %d, want 401", code)
	}
}

// TestTwoListenersKeepTheirSessions: cookies ignore ports, so two
// loopback services on one machine (two nodes' UIs, a UI and a WebDAV
// gateway) share one cookie jar in a browser; each listener's session
// cookie has a name of its own, and logging in to one does not log the
// other out.
func TestTwoListenersKeepTheirSessions(t *testing.T) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar}
	type svc struct {
		g   *Guard
		srv *httptest.Server
	}
	var svcs []svc
	for range 2 {
		g := NewGuard(Config{User: "peerhood", Token: "tok"})
		srv := httptest.NewServer(g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })))
		defer srv.Close()
		svcs = append(svcs, svc{g, srv})
	}
	get := func(u string) int {
		resp, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, s := range svcs {
		if code := get(s.srv.URL + LoginPath + "?token=" + s.g.NewLoginToken()); code != http.StatusOK {
			t.Fatalf("login at %s = %d", s.srv.URL, code)
		}
	}
	for _, s := range svcs {
		if code := get(s.srv.URL + "/x"); code != http.StatusOK {
			t.Errorf("%s after logging in to both = %d, want 200 (one session overwrote the other)", s.srv.URL, code)
		}
	}
	u, _ := url.Parse(svcs[0].srv.URL)
	if n := len(jar.Cookies(u)); n != 2 {
		t.Errorf("%d cookies for 127.0.0.1, want 2 (one per listener)", n)
	}
}

func TestWrapOrderAndHeaders(t *testing.T) {
	g := NewGuard(Config{User: "peerhood", Token: "tok"})
	srv := httptest.NewServer(g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("secret")) })))
	defer srv.Close()
	for _, tc := range []struct {
		name       string
		host, user string
		origin     string
		want       int
	}{
		{"ok", "", "tok", "", 200},
		{"no auth", "", "", "", 401},
		{"wrong token", "", "nope", "", 401},
		{"rebinding", "evil.example:80", "tok", "", 403},
		{"foreign origin", "", "tok", "http://evil.example", 403},
		{"other port", "", "tok", "http://127.0.0.1:1", 403},
	} {
		r, _ := http.NewRequest("GET", srv.URL+"/", nil)
		if tc.host != "" {
			r.Host = tc.host
		}
		if tc.user != "" {
			r.SetBasicAuth("peerhood", tc.user)
		}
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", tc.name)
		}
	}
}

func TestFileHeaders(t *testing.T) {
	for _, tc := range []struct {
		name, ct string
		attach   bool
	}{
		{"a.html", "text/html; charset=utf-8", true},
		{"a.svg", "image/svg+xml", true},
		{"a.xml", "text/xml", true},
		{"a.js", "text/javascript", true},
		{"a.txt", "text/html", true}, // a type a browser would run, whatever the name
		{"a.bin", "application/octet-stream", true},
		{"a.txt", "text/plain; charset=utf-8", false},
		{"a.png", "image/png", false},
	} {
		h := http.Header{}
		FileHeaders(h, tc.name, tc.ct)
		if got := strings.HasPrefix(h.Get("Content-Disposition"), "attachment"); got != tc.attach {
			t.Errorf("%s (%s): attachment %v, want %v", tc.name, tc.ct, got, tc.attach)
		}
		if !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", tc.name, h)
		}
	}
}

// FuzzAuthority: whatever the Host or Origin, an accepted one names the
// loopback and the request's port, and nothing panics.
func FuzzAuthority(f *testing.F) {
	for _, s := range []string{"127.0.0.1:4318", "[::1]:4318", "localhost:4318", "[::1", "[]:", ":", "a:b:c", "127.0.0.1:99999", "http://127.0.0.1:4318", "null"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := req("PUT", s, map[string]string{"Origin": "http://" + s})
		hostOK := CheckHost(r) == nil
		originOK := CheckOrigin(r) == nil
		if hostOK {
			host, port, ok := splitHost(s)
			if !ok || !loopbackName(host) || port != "4318" {
				t.Fatalf("accepted Host %q", s)
			}
		}
		if originOK && !hostOK && !strings.ContainsAny(s, "/?#@") {
			t.Fatalf("Origin http://%s accepted but Host %q refused", s, s)
		}
	})
}
