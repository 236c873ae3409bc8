package loopback

import (
	"fmt"
	"net/http"
)

// Wrap puts the guard in front of next: Host check, the login endpoint,
// authentication, Origin check and security headers, in that order.
func (g *Guard) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SecurityHeaders(w.Header())
		if err := g.Check(w, r); err != nil {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Check runs the guard's checks on r; on a refusal it writes the answer
// and returns the error (the caller then stops). LoginPath is served here.
func (g *Guard) Check(w http.ResponseWriter, r *http.Request) error {
	if err := CheckHost(r); err != nil {
		Refuse(w, http.StatusForbidden, "%v", err)
		return err
	}
	if err := CheckOrigin(r); err != nil {
		Refuse(w, http.StatusForbidden, "%v", err)
		return err
	}
	if r.URL.Path == LoginPath && r.Method == http.MethodGet {
		g.Login(w, r)
		return fmt.Errorf("login served")
	}
	if err := g.Authenticate(r); err != nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+g.cfg.Realm+`", charset="UTF-8"`)
		Refuse(w, http.StatusUnauthorized, "user %q and the node's token required", g.cfg.User)
		return err
	}
	if IsStateChanging(r.Method) {
		if err := g.CheckCSRF(r); err != nil {
			Refuse(w, http.StatusForbidden, "%v", err)
			return err
		}
	}
	return nil
}

// Refuse writes a plain-text refusal.
func Refuse(w http.ResponseWriter, code int, format string, args ...any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Del("Content-Disposition")
	w.WriteHeader(code)
	fmt.Fprintf(w, "%s: %s\n", http.StatusText(code), fmt.Sprintf(format, args...))
}
