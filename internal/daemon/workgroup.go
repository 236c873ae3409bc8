package daemon

import (
	"context"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// startWorkgroup starts the workgroup service: the roster-backed
// Directory every other service asks, the gate, and the join and roster
// protocols. It must run before any other service.
func (n *Node) startWorkgroup(ctx context.Context, backend *api.Backend) error {
	svc, err := workgroup.New(ctx, workgroup.Config{
		DB: n.db, Identity: n.id, Host: n.host, NodeName: n.name, Log: n.log,
	})
	if err != nil {
		return err
	}
	n.dir = svc.Directory()
	n.closers = append(n.closers, svc.Close)
	backend.Extra = append(backend.Extra, func(s *api.Server) { api.WorkgroupRoutes(s, svc) })
	return nil
}
