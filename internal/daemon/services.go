package daemon

import (
	"context"

	"github.com/peerhood/peerhood/internal/api"
)

// startServices starts the node's services and adds their API routes.
// Each service registers its stream handlers with the host and its routes
// through backend.Extra; its Close is appended to n.closers.
func (n *Node) startServices(ctx context.Context, backend *api.Backend) error {
	if err := n.startWorkgroup(ctx, backend); err != nil {
		return err
	}
	if err := n.startShare(ctx, backend); err != nil {
		return err
	}
	if err := n.startDavfs(ctx, backend); err != nil {
		return err
	}
	if err := n.startDiscovery(ctx, backend); err != nil {
		return err
	}
	if err := n.startSpool(ctx, backend); err != nil {
		return err
	}
	return nil
}
