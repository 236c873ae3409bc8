package discovery

import (
	"context"
	"net/http"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Routes declares GET /v1/browse on the control API. With Config.Shares
// set, each reachable member's entry lists the shares it offers this node
// (see shareLists), and with Config.Services the TCP services it lets
// this node use (servicelists.go), both asked at once.
func (s *Service) Routes(srv *api.Server) {
	var lists *shareLists
	if s.cfg.Shares != nil {
		lists = newShareLists(s, s.cfg.Shares)
	}
	services := newServiceLists(s, s.cfg.Services)
	api.Handle(srv, "GET /v1/browse", "Every member of a workgroup with presence, last seen, addresses, link type and round-trip time",
		func(ctx context.Context, r *http.Request, _ api.Empty) ([]Entry, error) {
			w, err := workgroup.Resolve(s.cfg.Dir, r.URL.Query().Get("workgroup"))
			if err != nil {
				return nil, api.BadRequest("%v", err)
			}
			entries := s.Browse(w.ID)
			wait := services.start(ctx, entries)
			if lists != nil {
				lists.fill(ctx, entries)
			}
			wait()
			return entries, nil
		}, "workgroup")
}
