package api

import (
	"context"
	"net/http"

	"github.com/peerhood/peerhood/internal/discovery"
	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// PresenceRequest sets this node's presence.
type PresenceRequest struct {
	State string `json:"state"` // online, away or busy
	Text  string `json:"text,omitempty"`
}

// DiscoveryRoutes declares browse and presence endpoints.
func DiscoveryRoutes(d *discovery.Service, p *presence.Service, dir workgroup.Directory) func(*Server) {
	return func(s *Server) {
		Handle(s, "GET /v1/browse", "Every member of a workgroup with presence, last seen, addresses, link type and round-trip time",
			func(ctx context.Context, r *http.Request, _ Empty) ([]discovery.Entry, error) {
				w, err := workgroup.Resolve(dir, r.URL.Query().Get("workgroup"))
				if err != nil {
					return nil, BadRequest("%v", err)
				}
				return d.Browse(w.ID), nil
			}, "workgroup")
		Handle(s, "GET /v1/presence", "This node's presence: chosen state, text, logged on, and what others see",
			func(ctx context.Context, r *http.Request, _ Empty) (presence.Status, error) {
				return p.Self(), nil
			})
		Handle(s, "POST /v1/presence", "Set this node's presence state (online, away, busy) and text",
			func(ctx context.Context, r *http.Request, req PresenceRequest) (presence.Status, error) {
				st, err := p.Set(ctx, req.State, req.Text)
				if err != nil {
					return st, BadRequest("%v", err)
				}
				return st, nil
			})
		Handle(s, "POST /v1/logon", "Appear to the workgroups with the chosen presence again",
			func(ctx context.Context, r *http.Request, _ Empty) (presence.Status, error) {
				return p.Logon(ctx)
			})
		Handle(s, "POST /v1/logoff", "Appear offline (the node keeps relaying and receiving)",
			func(ctx context.Context, r *http.Request, _ Empty) (presence.Status, error) {
				return p.Logoff(ctx)
			})
	}
}
