package daemon

import (
	"context"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// startShare starts the sharing service: /peerhood/files/1 on the host
// (behind workgroup.Guard; every stream is refused while the node has no
// membership directory) and the /v1/shares and /v1/files routes.
func (n *Node) startShare(ctx context.Context, backend *api.Backend) error {
	_ = ctx
	svc := share.New(n.db, n.host.Host, func() workgroup.Directory { return n.Directory() }, n.log)
	svc.Register()
	n.share = svc
	n.closers = append(n.closers, svc.Close)
	backend.Extra = append(backend.Extra, api.ShareRoutes(svc))
	return nil
}

// Share returns the sharing service (nil before it starts), for services
// built on it (WebDAV, browse).
func (n *Node) Share() *share.Service { return n.share }
