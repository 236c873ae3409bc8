package loopback

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"sync"
	"time"
)

// Session cookie and login settings.
const (
	// CookieName is the session cookie's name stem: the cookie is named
	// CookieName + "_" + the listener's port (see SessionCookie).
	CookieName    = "peerhood_session"
	LoginPath     = "/.peerhood/login"
	LoginTokenTTL = time.Minute
	SessionTTL    = 12 * time.Hour
	maxSessions   = 256
	maxLogins     = 64
)

// Config is what a Guard checks against.
type Config struct {
	User  string // the HTTP Basic user name
	Token string // the node's local token: the Basic password
	Realm string // the Basic realm shown by clients ("peerhood" if empty)
	// Now is the clock (time.Now if nil); tests inject one.
	Now func() time.Time
}

// Guard authenticates requests and checks where they come from.
type Guard struct {
	cfg      Config
	user     [32]byte
	token    [32]byte
	csrfKey  [32]byte
	mu       sync.Mutex
	logins   map[string]time.Time // one-time login token -> expiry
	sessions map[string]time.Time // session ID -> expiry
}

// NewGuard returns a guard for cfg.
func NewGuard(cfg Config) *Guard {
	if cfg.Realm == "" {
		cfg.Realm = "peerhood"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	g := &Guard{cfg: cfg, user: sha256.Sum256([]byte(cfg.User)), token: sha256.Sum256([]byte(cfg.Token)),
		logins: map[string]time.Time{}, sessions: map[string]time.Time{}}
	_, _ = rand.Read(g.csrfKey[:])
	return g
}

func randomID() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ErrUnauthenticated is returned when neither credentials nor a session
// are presented or valid.
var ErrUnauthenticated = errors.New("authentication required")

// Authenticate accepts HTTP Basic with the configured user and token, or
// a live session cookie.
func (g *Guard) Authenticate(r *http.Request) error {
	if u, p, ok := r.BasicAuth(); ok {
		uh, ph := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
		if subtle.ConstantTimeCompare(uh[:], g.user[:])&subtle.ConstantTimeCompare(ph[:], g.token[:]) == 1 {
			return nil
		}
		return ErrUnauthenticated
	}
	if g.session(r) != "" {
		return nil
	}
	return ErrUnauthenticated
}

// session returns the request's live session ID, or "".
func (g *Guard) session(r *http.Request) string {
	c, err := r.Cookie(SessionCookie(r))
	if err != nil || c.Value == "" {
		return ""
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	exp, ok := g.sessions[c.Value]
	if !ok || !g.cfg.Now().Before(exp) {
		delete(g.sessions, c.Value)
		return ""
	}
	return c.Value
}

// SessionCookie is the name of the session cookie of the listener r came
// in on: CookieName + "_" + its port (CookieName alone when the port is
// unknown). Cookies ignore ports (RFC 6265 8.5), so one name for every
// loopback service would let two nodes' UIs, or a UI and a WebDAV
// gateway, on one machine overwrite each other's session in one browser.
func SessionCookie(r *http.Request) string {
	if p := localPort(r); p != "" {
		return CookieName + "_" + p
	}
	return CookieName
}

// NewLoginToken returns a token a browser exchanges once, within
// LoginTokenTTL, for a session cookie at LoginPath.
func (g *Guard) NewLoginToken() string {
	t := randomID()
	now := g.cfg.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, exp := range g.logins {
		if !now.Before(exp) || len(g.logins) >= maxLogins {
			delete(g.logins, k)
		}
	}
	g.logins[t] = now.Add(LoginTokenTTL)
	return t
}

// Login serves LoginPath: a valid one-time token sets the session cookie
// and redirects to "/"; anything else is 403.
func (g *Guard) Login(w http.ResponseWriter, r *http.Request) {
	t := r.URL.Query().Get("token")
	now := g.cfg.Now()
	g.mu.Lock()
	exp, ok := g.logins[t]
	delete(g.logins, t)
	var sid string
	if ok && now.Before(exp) {
		for k, e := range g.sessions {
			if !now.Before(e) || len(g.sessions) >= maxSessions {
				delete(g.sessions, k)
			}
		}
		sid = randomID()
		g.sessions[sid] = now.Add(SessionTTL)
	}
	g.mu.Unlock()
	if sid == "" {
		http.Error(w, "login token unknown, used or expired", http.StatusForbidden)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie(r), Value: sid, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: int(SessionTTL / time.Second)})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// CSRFToken returns the token a form of r's session must send back
// ("" without a session).
func (g *Guard) CSRFToken(r *http.Request) string {
	sid := g.session(r)
	if sid == "" {
		return ""
	}
	return g.csrfFor(sid)
}

func (g *Guard) csrfFor(sid string) string {
	m := hmac.New(sha256.New, g.csrfKey[:])
	m.Write([]byte(sid))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// ErrCSRF is returned by CheckCSRF.
var ErrCSRF = errors.New("missing or wrong CSRF token")

// CheckCSRF checks a session request's CSRF token (X-CSRF-Token header
// or csrf_token form field). A request authenticated with Basic carries
// no cookie a page could ride on, and passes.
func (g *Guard) CheckCSRF(r *http.Request) error {
	if _, _, ok := r.BasicAuth(); ok {
		return nil
	}
	sid := g.session(r)
	if sid == "" {
		return ErrCSRF
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf_token")
	}
	want := g.csrfFor(sid)
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return ErrCSRF
	}
	return nil
}
