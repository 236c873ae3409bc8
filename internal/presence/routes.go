package presence

import (
	"context"
	"errors"
	"net/http"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
)

// Routes declares the presence endpoints on the control API.
func (s *Service) Routes(srv *api.Server) {
	api.Handle(srv, "GET /v1/presence", "This node's presence: chosen state, text, logged on, and what others see",
		func(ctx context.Context, r *http.Request, _ api.Empty) (Status, error) {
			return s.Self(), nil
		})
	api.Handle(srv, "POST /v1/presence", "Set this node's presence state (online, away, busy) and text",
		func(ctx context.Context, r *http.Request, req apitypes.PresenceRequest) (Status, error) {
			st, err := s.Set(ctx, req.State, req.Text)
			var bad *invalidError
			if errors.As(err, &bad) {
				return st, api.BadRequest("%v", err)
			}
			return st, err // a full disk: 507 no_space (the daemon's api.Server.SetFull)
		})
	api.Handle(srv, "POST /v1/logon", "Appear to the workgroups with the chosen presence again",
		func(ctx context.Context, r *http.Request, _ api.Empty) (Status, error) {
			return s.Logon(ctx)
		})
	api.Handle(srv, "POST /v1/logoff", "Appear offline (the node keeps relaying and receiving)",
		func(ctx context.Context, r *http.Request, _ api.Empty) (Status, error) {
			return s.Logoff(ctx)
		})
}
