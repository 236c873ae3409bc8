package loopback

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzGuard sends the guard every header and body a local program or a
// browser's page may (Authorization, Cookie, X-CSRF-Token, a form's
// csrf_token, the login token) on each method. Placeholders in the
// inputs stand for the secrets of the run: {BASIC} the right
// credentials, {SID} a live session, {CSRF} its CSRF token, {LOGIN} a
// fresh one-time login token. The guard lets a request through exactly
// when a model of the rules does: HTTP Basic with the node's user and
// token; or, without Basic, this port's session cookie (the first one of
// that name) naming a live session, and for a state-changing method its
// CSRF token in the header or, when the header is empty, in the form.
// A login succeeds only with the fresh token.
func FuzzGuard(f *testing.F) {
	for _, s := range []struct {
		m                         uint8
		authz, cookie, csrf, form string
	}{
		{0, "{BASIC}", "", "", ""},
		{1, "{BASIC}", "", "", ""},
		{1, "", "peerhood_session_4318={SID}", "{CSRF}", ""},
		{0, "", "peerhood_session_4318={SID}", "", ""},
		{1, "", "peerhood_session_4318={SID}", "", "csrf_token={CSRF}"},
		{3, "", "peerhood_session_4318={SID}", "", "csrf_token={CSRF}"},
		{1, "", "peerhood_session_4319={SID}", "{CSRF}", ""},
		{1, "", "peerhood_session={SID}", "{CSRF}", ""},
		{0, "", "peerhood_session_4318=x; peerhood_session_4318={SID}", "", ""},
		{1, "Basic Og==", "peerhood_session_4318={SID}", "{CSRF}", ""},
		{0, "basic cGVlcmhvb2Q6dG9r", "", "", ""},
		{0, "Basic cGVlcmhvb2Q6dG9rAA==", "", "", ""},
		{5, "", "", "", "{LOGIN}"},
		{5, "", "", "", "{LOGIN}x"},
	} {
		f.Add(s.m, s.authz, s.cookie, s.csrf, s.form)
	}
	const user, token = "peerhood", "tok"
	g := NewGuard(Config{User: user, Token: token})
	login := func(tok string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := req(http.MethodGet, "127.0.0.1:4318", nil)
		r.URL = &url.URL{Path: LoginPath, RawQuery: url.Values{"token": {tok}}.Encode()}
		g.Check(w, r)
		return w
	}
	var sid string
	for _, c := range login(g.NewLoginToken()).Result().Cookies() {
		sid = c.Value
	}
	if sid == "" {
		f.Fatal("no session")
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+token))
	csrf := g.csrfFor(sid)
	methods := []string{"GET", "POST", "PUT", "DELETE", "PROPFIND", "LOGIN", "HEAD", "OPTIONS", "PATCH", "MKCOL"}
	f.Fuzz(func(t *testing.T, m uint8, authz, cookie, csrfHdr, form string) {
		method := methods[int(m)%len(methods)]
		fill := strings.NewReplacer("{BASIC}", basic, "{SID}", sid, "{CSRF}", csrf).Replace
		authz, cookie, csrfHdr, form = fill(authz), fill(cookie), fill(csrfHdr), fill(form)
		if method == "LOGIN" {
			tok := g.NewLoginToken()
			w := login(strings.ReplaceAll(form, "{LOGIN}", tok))
			if ok := w.Code == http.StatusSeeOther; ok != (form == "{LOGIN}") {
				t.Fatalf("login with %q: %d", form, w.Code)
			}
			return
		}
		r := httptest.NewRequest(method, "http://127.0.0.1:4318/x", strings.NewReader(form))
		r.Host = "127.0.0.1:4318"
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4318}))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range map[string]string{"Authorization": authz, "Cookie": cookie, "X-CSRF-Token": csrfHdr} {
			if v != "" {
				r.Header[k] = []string{v}
			}
		}
		// The model, before the guard reads anything.
		var want bool
		if u, p, ok := r.BasicAuth(); ok {
			want = u == user && p == token
		} else {
			var live bool
			for _, c := range r.Cookies() {
				if c.Name == "peerhood_session_4318" {
					live = c.Value == sid
					break
				}
			}
			want = live
			if live && IsStateChanging(method) {
				got := r.Header.Get("X-CSRF-Token")
				if got == "" && (method == "POST" || method == "PUT" || method == "PATCH") {
					q, _ := url.ParseQuery(form)
					got = q.Get("csrf_token")
				}
				want = subtle.ConstantTimeCompare([]byte(got), []byte(csrf)) == 1
			}
		}
		w := httptest.NewRecorder()
		err := g.Check(w, r)
		if (err == nil) != want {
			t.Fatalf("%s Authorization %q Cookie %q X-CSRF-Token %q form %q: guard %v (%d), model %v", method, authz, cookie, csrfHdr, form, err, w.Code, want)
		}
	})
}
