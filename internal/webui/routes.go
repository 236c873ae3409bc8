package webui

import (
	"context"
	"net/http"

	"github.com/peerhood/peerhood/internal/api"
)

// Login is the reply of POST /v1/ui/login (read back as
// apitypes.UILogin).
type Login struct {
	URL      string `json:"url"`       // the UI's address
	LoginURL string `json:"login_url"` // one-time: works once, within a minute
}

// Routes declares POST /v1/ui/login on the control API: the socket's
// owner (the CLI's `peerhood open`) asks for a one-time login link. s nil
// (the UI is off) answers 503.
func Routes(srv *api.Server, s *Server) {
	api.Handle(srv, "POST /v1/ui/login", "A one-time login link to the web UI (valid once, for a minute)",
		func(ctx context.Context, r *http.Request, _ api.Empty) (Login, error) {
			if s == nil || s.l == nil {
				return Login{}, api.Unavailable("the web UI is off (setting ui.addr or PEERHOOD_UI_ADDR is \"off\")")
			}
			return Login{URL: s.URL(), LoginURL: s.LoginURL()}, nil
		})
}
