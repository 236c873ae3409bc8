package webui

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/peerhood/peerhood/internal/loopback"
)

//go:embed assets
var assets embed.FS

// PageCSP is the policy of the UI's own pages: scripts, styles, images
// and connections from this origin only (no inline script, no eval),
// never framed.
const PageCSP = "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

var indexTmpl = template.Must(template.ParseFS(assets, "assets/index.html"))

// loginPage is what a browser without a session sees.
const loginPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>peerhood: log in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/app.css"></head>
<body><main class="login"><h1>peerhood</h1><p>This browser is not logged in to the node's web UI.</p>
<p>Run <code>peerhood open</code> on this machine: it opens the UI with a one-time login link
(<code>peerhood open --print-url</code> prints the link instead).</p></main></body></html>
`

// Handler returns the UI: the login endpoint, the static assets, the
// page, and the control API under /api/, behind the checks of check.
func (s *Server) Handler() http.Handler {
	static, _ := fs.Sub(assets, "assets")
	files := http.FileServerFS(static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		loopback.SecurityHeaders(w.Header())
		if !s.check(w, r) {
			return
		}
		switch p := r.URL.Path; {
		case strings.HasPrefix(p, "/api/"):
			s.serveAPI(w, r)
		case p == "/qr.png":
			s.serveQR(w, r)
		case p == "/" || p == "/index.html":
			s.serveIndex(w, r)
		case r.Method == http.MethodGet || r.Method == http.MethodHead:
			if ct := assetType(p); ct != "" {
				w.Header().Set("Content-Security-Policy", PageCSP)
				w.Header().Set("Content-Type", ct)
				w.Header().Set("Cache-Control", "no-cache")
				files.ServeHTTP(w, r)
				return
			}
			http.NotFound(w, r)
		default:
			loopback.Refuse(w, http.StatusMethodNotAllowed, "%s %s", r.Method, p)
		}
	})
}

// assetType is the content type of a static asset's path ("" for a path
// that names none: directories are never listed).
func assetType(p string) string {
	switch path.Ext(p) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	return ""
}

// public reports whether a request may go without a session: the login
// endpoint and the static assets (code and style, no data).
func public(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	return r.URL.Path == loopback.LoginPath || (assetType(r.URL.Path) != "" && r.URL.Path != "/qr.png")
}

// ErrNoOrigin refuses a state-changing browser request without Origin.
var ErrNoOrigin = errors.New("a state-changing request must carry this server's Origin")

// check runs the front door's checks in order: Host (DNS rebinding),
// exact Origin (for reads too), the login endpoint, the session, then
// for every state-changing request an Origin present and the CSRF token.
// On a refusal it writes the answer and returns false.
func (s *Server) check(w http.ResponseWriter, r *http.Request) bool {
	if err := loopback.CheckHost(r); err != nil {
		loopback.Refuse(w, http.StatusForbidden, "%v", err)
		return false
	}
	if err := loopback.CheckOrigin(r); err != nil {
		loopback.Refuse(w, http.StatusForbidden, "%v", err)
		return false
	}
	if r.URL.Path == loopback.LoginPath && r.Method == http.MethodGet {
		w.Header().Set("Cache-Control", "no-store")
		s.guard.Login(w, r) // sets the cookie, redirects to "/": the token leaves the address bar
		return false
	}
	if public(r) {
		return true
	}
	if _, _, basic := r.BasicAuth(); basic || s.guard.Authenticate(r) != nil {
		if r.URL.Path == "/" {
			w.Header().Set("Content-Security-Policy", PageCSP)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(loginPage))
			return false
		}
		loopback.Refuse(w, http.StatusUnauthorized, "log in first: run peerhood open")
		return false
	}
	if loopback.IsStateChanging(r.Method) {
		if _, ok := r.Header["Origin"]; !ok {
			loopback.Refuse(w, http.StatusForbidden, "%v", ErrNoOrigin)
			return false
		}
		if err := s.guard.CheckCSRF(r); err != nil {
			loopback.Refuse(w, http.StatusForbidden, "%v", err)
			return false
		}
	}
	return true
}

// serveIndex writes the one page, with the session's CSRF token in a
// meta element for the scripts.
func (s *Server) serveIndex(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		loopback.Refuse(w, http.StatusMethodNotAllowed, "%s %s", r.Method, r.URL.Path)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", PageCSP)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if err := indexTmpl.Execute(w, struct{ CSRF string }{s.guard.CSRFToken(r)}); err != nil {
		s.log.Warn("web UI page", "err", err)
	}
}

// serveAPI hands /api/v1/... to the control API's handler in this
// process, as /v1/...: the same endpoints, the same service calls as the
// CLI. Only /v1/ is reachable (no profiles, no metrics). Every answer is
// sandboxed user content as far as the browser is concerned: a JSON
// reply or a file opened directly never runs in the UI's origin.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/api")
	// A session mints no login links: those come from the control socket.
	if !strings.HasPrefix(p, "/v1/") || p == "/v1/ui/login" || s.api == nil {
		loopback.Refuse(w, http.StatusNotFound, "no endpoint %s", r.URL.Path)
		return
	}
	name := path.Base(r.URL.Query().Get("target"))
	loopback.FileHeaders(w.Header(), name, "application/octet-stream")
	r2 := r.Clone(r.Context())
	r2.URL.Path = p
	r2.URL.RawPath = strings.TrimPrefix(r.URL.RawPath, "/api")
	r2.RequestURI = ""
	// The control API knows nothing of cookies or the UI's token.
	r2.Header.Del("Cookie")
	r2.Header.Del("X-CSRF-Token")
	s.api.ServeHTTP(w, r2)
}
